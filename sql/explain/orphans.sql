-- Every orphan of a run with the rule that came closest to taking it, from what the run
-- stored (migration 0009): the first rule (Level 2, then Level 3, in order) that could
-- use it and what became of its association; else, among the rules that use exposures
-- of its type, the one whose conditions it meets longest and the first it fails.
-- Parameters: $run_id, $pool_id, $unsafe (what no file name may hold).
with orphaned as (
    select o.row_no, o.filename, o.exp_type, o.reason
    from orphans as o
    where o.run_id = $run_id
),
rules as (select * from explain_rules where run_id = $run_id),
verdicts as (
    select v.*, r.level, r.rule_no
    from explain_verdicts as v
    join rules as r using (run_id, rule)
    semi join orphaned as o using (row_no)
    where v.run_id = $run_id
),
-- the rules that use exposures of a type in this run: eligible for one (stored taken or not)
typed as (
    select distinct v.rule, x.exp_type
    from explain_verdicts as v
    join exposures as x on x.pool_id = $pool_id and x.row_no = v.row_no
    where v.run_id = $run_id and v.role is not null
),
eligible as (
    select
        row_no,
        arg_min(
            {rule: rule, why: 'could use it as ' || role || ' in ' || acid || ' ('
                || case ctype when 'unknown' then 'bare number in ASN_CANDIDATE, type unknown'
                              else ctype end
                || '), but '
                || coalesce('its association was dropped: ' || fate,
                            case when level = 2 and ctype <> 'observation'
                                 then 'jwst keeps Level 2 associations only for observation '
                                      || 'candidates and background candidates with a '
                                      || 'background member'
                                 else 'none of its associations passed the rule''s own checks'
                            end)},
            (rule_no, acid)
        ) as best
    from verdicts
    where role is not null
    group by row_no
),
closest as (
    select
        v.row_no,
        arg_max({rule: v.rule, why: c.words}, (v.condition_no, -v.rule_no, -v.select_no)) as best
    from verdicts as v
    join orphaned as o using (row_no)
    join typed as t on t.rule = v.rule and t.exp_type is not distinct from o.exp_type
    join explain_conditions as c
      on (c.run_id, c.rule, c.select_no, c.condition_no)
       = (v.run_id, v.rule, v.select_no, v.condition_no)
    where v.condition_no is not null
    group by v.row_no
)
select
    o.filename,
    o.exp_type,
    coalesce(e.best.rule, c.best.rule) as rule,
    case
        when regexp_matches(o.filename, $unsafe) then o.reason
        when e.best is not null then e.best.why
        when c.best is not null then c.best.why
        else 'no rule takes ' || coalesce(o.exp_type, 'unset') || ' exposures in this run'
    end as why
from orphaned as o
left join eligible as e using (row_no)
left join closest as c using (row_no)
order by o.row_no;

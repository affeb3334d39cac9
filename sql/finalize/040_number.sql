-- Number the kept associations per (asn_id, asn_type), 1 for the one created
-- last, as jwst's resequencing does, and work out what the documents say:
-- program (the founding row's, padded to 5), file name, rule name with the
-- registry prefix, degraded status; each pool apart. Parameters: $version_id,
-- $resequenced, $constraint_rules and $constraint_texts (each rule's constraints
-- in words).
-- jwst resequences when it finalizes or discovers; otherwise (--no-finalize with
-- -i or --all-candidates, no --discover) a file keeps the number the association
-- took when it was created: one counter for all of Level 2 and one per Level 3
-- type, over the whole run (every candidate and rule), so the numbers of one
-- candidate and type have gaps, and associations jwst forms but cannot write
-- (`counted`) take a number too.
{% import 'macros/exposures.sql' as x -%}

create or replace temp table numbered_associations as
with kept as (
    select
        f.*,
        row_number() over (
            partition by f.pool_id,
                         case when $resequenced then f.acid end,
                         case when $resequenced or f.level = 3 then f.asn_type end,
                         f.level
            -- unfinalized, jwst numbers them in the order it created them
            order by case when $finalize then 0 else f.scope_id end,
                     case when $finalize then 0 else f.seed_row end,
                     case when $finalize then 0 else f.rule_rank end,
                     f.scope_id desc, f.seed_row desc, f.rule_rank desc, f.split_index desc
        )::integer
        -- jwst's Level 2 counter starts at 1 and counts before it gives, so its
        -- first association is number 2
        + case when not $resequenced and f.level = 2 then 1 else 0 end as sequence
    from found_associations as f
    where f.kept or f.counted
),
first_member as (
    select
        k.match_id,
        -- the row that created the association gives the program (jwst's
        -- init hook), even when finalize replaced it (a WFSS direct image)
        coalesce(any_value(f.program), arg_min(x.program, m.position)) as program,
        bool_or({{ x.is_set_text('m.exposerr') }} and m.has_exposerr or m.degraded) as degraded
    from kept as k
    join rule_matches as m
      on (m.level, m.rule, m.scope_id, m.group_key, m.split_index)
       = (k.level, k.rule, k.scope_id, k.group_key, k.split_index)
    left join exposures as x on x.pool_id = k.pool_id and x.row_no = m.row_no
    left join exposures as f on f.pool_id = k.pool_id and f.row_no = k.seed_row
    group by k.match_id
)
select
    k.*,
    {{ x.zero_pad('p.program', 5) }}                                 as program,
    lower(
        'jw' || {{ x.zero_pad('p.program', 5) }} || '-' || k.acid
        || coalesce('_' || $version_id, '')
        || '_' || k.asn_type || '_' || {{ x.zero_pad('k.sequence::varchar', 5) }} || '_asn'
    )                                                               as name,
    case when k.from_candidate then 'candidate_' else 'discover_' end || k.rule
                                                                    as asn_rule,
    case when p.degraded
        then 'One or more members have an error associated with them.' || chr(10)
             || 'Details can be found in the member.exposerr attribute.'
        else 'No known degraded exposures in association.'
    end                                                             as degraded_status,
    -- (a Level 2 key starts with its scope's id: the text shows the pool's own number)
    list_extract($constraint_texts, list_position($constraint_rules, k.rule)) || chr(10) || 'shared values: '
        || case when k.level = 2 and starts_with(k.group_key, k.scope_id || '/')
                then k.scope_no || substr(k.group_key, length(k.scope_id::varchar) + 1)
                else k.group_key end || chr(10)
        || 'candidate: ' || k.acid || ' (' || k.ctype || ')'        as constraints
from kept as k
join first_member as p using (match_id);

-- Those jwst forms and numbers but does not write (unfinalized: invalid or
-- without science) are kept apart, for the run's unwritten_associations.
create or replace temp table unwritten_numbered as
select * from numbered_associations where not kept;

delete from numbered_associations where not kept;

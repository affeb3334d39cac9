-- One row per association the rules found, keyed by match_id, with its pool
-- (the scope's: every later step keeps to one pool) and what
-- pruning compares: its membership as one sortable text (the multiset of
-- (expname, exptype)), its product name, and its place in jwst's creation
-- order. An association without science is never written (a validity test
-- jwst applies to unfinalized associations too).
-- With $keep_candidates false (--discover), associations of candidate scopes go.

create or replace temp table found_associations as
with per_association as (
    select
        m.level,
        m.rule,
        m.asn_type,
        m.rule_rank,
        m.scope_id,
        s.pool_id,
        s.scope_no,
        s.acid,
        s.ctype,
        s.cand_id is not null                                   as from_candidate,
        m.group_key,
        m.split_index,
        min(m.seed_row)                                         as seed_row,
        any_value(m.product_name)                               as product_name,
        any_value(m.target)                                     as target,
        string_agg(m.expname || chr(31) || m.exptype, chr(30) order by m.expname, m.exptype)
                                                                as membership,
        count(*)                                                as n_members,
        count(*) filter (where m.exptype = 'science') > 0       as has_science,
        bool_and(m.valid)                                       as valid
    from rule_matches as m
    join scopes as s using (scope_id)
    group by m.level, m.rule, m.asn_type, m.rule_rank, m.scope_id, s.pool_id, s.scope_no,
             s.acid, s.ctype,
             s.cand_id, m.group_key, m.split_index
)
select
    row_number() over (
        order by level, scope_id, seed_row, rule_rank, split_index, group_key
    )::integer as match_id,
    *,
    true                 as kept,
    -- unfinalized, an association jwst does not write still takes a number
    false                as counted,
    'kept'::varchar      as fate       -- why it was dropped, for `asnsql explain`
from per_association;

-- An association without a science member is never written.
update found_associations set kept = false, fate = 'it has no science member', counted = not $finalize
where not has_science;

update found_associations set kept = false, fate = 'it fails a validity test', counted = true
where not valid and kept;

update found_associations set kept = false, fate = 'only discovered associations were asked for'
where not $keep_candidates and from_candidate;

-- Keep the run's associations, products and members, and the associations
-- formed but not written. Parameters: $run_id, $pool_id, $version_id. asn_no follows the output order: Level 2 first, then by
-- asn_id, asn_type and sequence.

create or replace temp table stored_numbers as
select
    match_id,
    row_number() over (order by level, acid, asn_type, sequence)::integer as asn_no
from numbered_associations;

insert into associations (
    run_id, asn_no, pool_id, name, level, asn_type, asn_rule, rule, asn_id, candidate_type,
    sequence, version_id, program, target, degraded_status, constraints, seed_row
)
select
    $run_id, s.asn_no, $pool_id, a.name, a.level, a.asn_type, a.asn_rule, a.rule, a.acid, a.ctype,
    a.sequence, $version_id, a.program, a.target, a.degraded_status, a.constraints, a.seed_row
from numbered_associations as a
join stored_numbers as s using (match_id);

insert into products (run_id, asn_no, product_no, name)
select $run_id, s.asn_no, 1, a.product_name
from numbered_associations as a
join stored_numbers as s using (match_id);

insert into members (
    run_id, asn_no, product_no, position, row_no, expname, exptype, exposerr, asn_candidate,
    has_exposerr
)
select
    $run_id,
    s.asn_no,
    1,
    row_number() over (partition by s.asn_no order by m.position)::integer,
    m.row_no, m.expname, m.exptype, m.exposerr, m.asn_candidate, m.has_exposerr
from numbered_associations as a
join stored_numbers as s using (match_id)
join rule_matches as m
  on (m.level, m.rule, m.scope_id, m.group_key, m.split_index)
   = (a.level, a.rule, a.scope_id, a.group_key, a.split_index);

insert into unwritten_associations (
    run_id, pool_id, name, level, asn_type, asn_rule, asn_id, sequence, product_name, target,
    n_members, reason, seed_row
)
select
    $run_id, $pool_id, u.name, u.level, u.asn_type, u.asn_rule, u.acid, u.sequence, u.product_name,
    u.target, u.n_members, u.fate, u.seed_row
from unwritten_numbered as u
order by u.level, u.acid, u.asn_type, u.sequence;

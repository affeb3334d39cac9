-- Keep the run's associations, products and members, and the associations
-- formed but not written, each pool's in its run (temp table run_pools).
-- Parameters: $version_id. asn_no follows the output order: Level 2 first, then by
-- asn_id, asn_type and sequence.

create or replace temp table stored_numbers as
select
    a.match_id,
    p.run_id,
    row_number() over (partition by a.pool_id order by a.level, a.acid, a.asn_type, a.sequence)::integer
        as asn_no
from numbered_associations as a
join run_pools as p using (pool_id);

insert into associations (
    run_id, asn_no, pool_id, name, level, asn_type, asn_rule, rule, asn_id, candidate_type,
    sequence, version_id, program, target, degraded_status, constraints, seed_row
)
select
    s.run_id, s.asn_no, a.pool_id, a.name, a.level, a.asn_type, a.asn_rule, a.rule, a.acid, a.ctype,
    a.sequence, $version_id, a.program, a.target, a.degraded_status, a.constraints, a.seed_row
from numbered_associations as a
join stored_numbers as s using (match_id);

insert into products (run_id, asn_no, product_no, name)
select s.run_id, s.asn_no, 1, a.product_name
from numbered_associations as a
join stored_numbers as s using (match_id);

insert into members (
    run_id, asn_no, product_no, position, row_no, expname, exptype, exposerr, asn_candidate,
    has_exposerr
)
select
    s.run_id,
    s.asn_no,
    1,
    row_number() over (partition by s.run_id, s.asn_no order by m.position)::integer,
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
    p.run_id, u.pool_id, u.name, u.level, u.asn_type, u.asn_rule, u.acid, u.sequence, u.product_name,
    u.target, u.n_members, u.fate, u.seed_row
from unwritten_numbered as u
join run_pools as p using (pool_id)
order by p.pool_no, u.level, u.acid, u.asn_type, u.sequence;

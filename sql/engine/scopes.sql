-- The scopes of one pass over a set of pools, each pool's as its own run has
-- them: every candidate of the pool (one scope per id and type, as jwst runs its
-- rules once per candidate) and the discovery scope (the whole pool, asn_id
-- a3001). scope_id is unique over the set, each pool's scopes numbered in a row in
-- the order of $pool_ids, so everything keyed by scope is keyed by pool too;
-- scope_no is the scope's number in its pool (its scope_id in a pass of that pool
-- alone), for what a run shows.
-- Parameters: $pool_ids (the set, in order); $ids (the candidate ids
-- of --ids, or NULL for all); $candidates and $discover (which kinds to build);
-- $acid_pattern (the grammar of a candidate id) and $unsafe_pattern (what no
-- file name may hold), both from asn_sql/names.py.
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/level3.sql' as l3 -%}

-- The pools of the pass, in order; each one's run_id is set when its run is stored.
create or replace temp table run_pools as
select unnest($pool_ids)::integer as pool_id, unnest(range(1, len($pool_ids) + 1))::integer as pool_no,
       null::bigint as run_id;

create or replace temp table scopes as
with pairs as (
    -- (row, place in the row's list), compared field by field: no packed number to overflow
    select pool_id, acid, ctype, {'row_no': row_no, 'position': position} as seen
    from exposure_candidates
    semi join run_pools using (pool_id)
    where regexp_full_match(acid, $acid_pattern)
),
-- jwst processes candidate types in order of first appearance, then ids.
types as (select pool_id, ctype, min(seen) as first_seen from pairs group by pool_id, ctype),
ids as (
    select pool_id, acid, ctype, min(seen) as first_seen from pairs group by pool_id, acid, ctype
),
-- with --ids, each id is taken under the first type it appears with
wanted as (
    select i.pool_id, i.acid, i.ctype, t.first_seen as type_seen, i.first_seen as id_seen
    from ids as i
    join types as t using (pool_id, ctype)
    where $ids is null
       or (list_contains($ids, i.acid)
           and i.first_seen = (select min(first_seen) from ids as j
                               where j.pool_id = i.pool_id and j.acid = i.acid))
),
-- (with --ids, in the order of the list: jwst runs the candidates in that order)
candidates as (
    select
        pool_id,
        row_number() over (
            partition by pool_id order by list_position($ids, acid), type_seen, id_seen
        )::integer as scope_no,
        acid,
        ctype
    from wanted
    where $candidates
),
-- jwst's candidate run rewrites each cell as [('ID', 'TYPE')] and reads it back;
-- where the type does not make a Python string there (a quote in it, a
-- backslash at its end), its associations cannot read their candidate either
-- and take the id of a discovered one: a3001. The run still holds the
-- candidate's rows (cand_id, cand_type).
per_pool as (
    select
        pool_id,
        scope_no,
        case when readable then acid else 'a3001' end       as acid,
        case when readable then ctype else 'discovered' end as ctype,
        acid                                                 as cand_id,
        ctype                                                as cand_type
    from (
        select *, regexp_full_match(ctype, '([^''\\]|\\.)*') as readable from candidates
    )
    union all
    select
        p.pool_id,
        (select count(*) from candidates as c where c.pool_id = p.pool_id)::integer + 1,
        'a3001',
        'discovered',
        null,
        null
    from run_pools as p
    where $discover
)
select
    row_number() over (order by p.pool_no, s.scope_no)::integer as scope_id,
    s.acid,
    s.ctype,
    s.cand_id,
    s.cand_type,
    s.pool_id,
    s.scope_no
from per_pool as s
join run_pools as p using (pool_id);

-- Rows whose FILENAME cannot be a member's file name ($unsafe_pattern: a path
-- separator, '..' or a control character) take part in no scope; generate warns.
create or replace temp table unusable_rows as
select row_no, line_no, filename, pool_id
from exposures
semi join run_pools using (pool_id)
where regexp_matches(filename, $unsafe_pattern);

-- Which rows each scope holds. jwst tests a candidate's membership as a
-- substring of the raw cell (so candidate 1000 also holds the rows of c1000),
-- and inside a candidate run every row's cell reads as that one candidate.
-- A candidate id is a letter and digits, or digits ($acid_pattern), so it can
-- only occur in a cell as a piece of one run of digits, alone or after the
-- letter just before the run. Each distinct cell is cut into those pieces (at
-- most 11 characters) and the pieces meet the ids on equality: the same pairs
-- as strpos(cell, acid) > 0, in time linear in the length of the distinct cells
-- (testing every id against every cell cost ids x rows x cell length).
create or replace temp table scope_rows as
with cells as (
    select distinct asn_candidate as cell
    from exposures
    semi join run_pools using (pool_id)
    where asn_candidate is not null
),
runs as (
    select cell, regexp_extract(run, '^[a-z]?') as letter, regexp_extract(run, '[0-9]+$') as digits
    from (select cell, unnest(regexp_extract_all(cell, '[a-z]?[0-9]+')) as run from cells)
),
starts as (
    select cell, letter, digits, unnest(range(1, length(digits) + 1)) as start
    from runs
),
pieces as (
    select cell, substr(digits, start, unnest(range(1, least(10, length(digits) - start + 1) + 1))) as piece
    from starts
    union all
    select cell, letter || substr(digits, 1, unnest(range(1, least(10, length(digits)) + 1)))
    from runs
    where letter <> ''
),
cell_scopes as (
    select distinct p.cell, s.scope_id
    from pieces as p
    join scopes as s on s.cand_id = p.piece
)
select
    s.scope_id,
    x.row_no,
    '[(''' || s.cand_id || ''', ''' || s.cand_type || ''')]' as asn_candidate
from cell_scopes as cs
join scopes as s using (scope_id)
join exposures as x on x.pool_id = s.pool_id and x.asn_candidate = cs.cell
union all
select s.scope_id, x.row_no, x.asn_candidate
from scopes as s
join exposures as x on x.pool_id = s.pool_id
where s.cand_id is null;

-- What rules read: each scope's exposures. Values jwst treats as unset (its
-- _EMPTY list: '', null, --, n, f, false, n/a) read as NULL here, so "set" is
-- `is not null`; filename, exposerr and asn_candidate keep their text, and
-- raw_targetid, raw_filter and raw_program keep the text of those three (Stage 2
-- documents carry them as they are). The cell is the one jwst's candidate run shows;
-- dms_role is the generic member role; is_tso, l3_suffix, l2_mode_ok and
-- in_direct_image are constraints several rules share (see their macros).
create or replace temp table scope_exposures as
with normalised as (
    select
        pool_id,
        row_no,
    {%- for column in columns %}
        {%- if column in ('filename', 'exposerr', 'asn_candidate') %}
        {{ column }},
        {%- else %}
        case when {{ column }} in ('', 'null', '--', 'n', 'f', 'false', 'n/a') then null
             else {{ column }} end as {{ column }},
        {%- endif %}
    {%- endfor %}
        targetid as raw_targetid,
        filter   as raw_filter,
        program  as raw_program
    from exposures
    semi join run_pools using (pool_id)
    anti join unusable_rows using (pool_id, row_no)
),
-- what several rules ask of an exposure, worked out once here
described as (
    select
        x.*,
        {{ x.dms_role('x') }} as dms_role,
        coalesce({{ x.is_tso('x') }}, false) as is_tso,
        {{ l3.compute_suffix('x', true) }} as l3_suffix,
        {{ l3.compute_suffix('x', false) }} as l3_suffix_no_coron,
        coalesce({{ l2.compute_mode_ok('x') }}, false) as l2_mode_ok
    from normalised as x
)
select
    s.scope_id,
    s.acid,
    s.ctype,
    x.* exclude (pool_id) replace (r.asn_candidate as asn_candidate),
    {{ x.compute_in_direct_image('r') }} as in_direct_image
from scope_rows as r
join scopes as s using (scope_id)
join described as x on x.pool_id = s.pool_id and x.row_no = r.row_no;

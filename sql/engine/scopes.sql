-- The scopes of one run: every candidate of the pool (one scope per id and
-- type, as jwst runs its rules once per candidate) and the discovery scope
-- (the whole pool, asn_id a3001). Parameters: $pool_id; $ids (the candidate ids
-- of --ids, or NULL for all); $candidates and $discover (which kinds to build).
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level2.sql' as l2 -%}
{% import 'macros/level3.sql' as l3 -%}

create or replace temp table scopes as
with pairs as (
    -- (row, place in the row's list), compared field by field: no packed number to overflow
    select acid, ctype, {'row_no': row_no, 'position': position} as seen
    from exposure_candidates
    where pool_id = $pool_id
),
-- jwst processes candidate types in order of first appearance, then ids.
types as (select ctype, min(seen) as first_seen from pairs group by ctype),
ids as (select acid, ctype, min(seen) as first_seen from pairs group by acid, ctype),
-- with --ids, each id is taken under the first type it appears with
wanted as (
    select i.acid, i.ctype, t.first_seen as type_seen, i.first_seen as id_seen
    from ids as i
    join types as t using (ctype)
    where $ids is null
       or (list_contains($ids, i.acid)
           and i.first_seen = (select min(first_seen) from ids as j where j.acid = i.acid))
),
candidates as (
    select
        row_number() over (order by type_seen, id_seen)::integer as scope_id,
        acid,
        ctype
    from wanted
    where $candidates
)
select scope_id, acid, ctype from candidates
union all
select
    (select count(*) from candidates)::integer + 1,
    'a3001',
    'discovered'
where $discover;

-- Which rows each scope holds. jwst tests a candidate's membership as a
-- substring of the raw cell (so candidate 1000 also holds the rows of c1000),
-- and inside a candidate run every row's cell reads as that one candidate.
-- Testing every candidate against every row grows with their product; instead
-- each distinct cell is cut into its substrings of every candidate id's length,
-- and those meet the ids on equality: the same pairs as strpos(cell, acid) > 0.
create or replace temp table scope_rows as
with id_lengths as (
    select distinct length(acid) as len from scopes where ctype <> 'discovered'
),
cells as (
    select distinct asn_candidate as cell
    from exposures
    where pool_id = $pool_id and asn_candidate is not null
),
pieces as (
    select distinct c.cell, substr(c.cell, i.start, l.len) as piece
    from cells as c
    cross join id_lengths as l
    cross join lateral (select unnest(range(1, length(c.cell) - l.len + 2)) as start) as i
),
cell_scopes as (
    select p.cell, s.scope_id, s.acid, s.ctype
    from pieces as p
    join scopes as s on s.acid = p.piece and s.ctype <> 'discovered'
)
select
    s.scope_id,
    x.row_no,
    '[(''' || s.acid || ''', ''' || s.ctype || ''')]' as asn_candidate
from cell_scopes as s
join exposures as x on x.pool_id = $pool_id and x.asn_candidate = s.cell
union all
select s.scope_id, x.row_no, x.asn_candidate
from scopes as s
join exposures as x on x.pool_id = $pool_id
where s.ctype = 'discovered';

-- What rules read: each scope's exposures. Values jwst treats as unset (its
-- _EMPTY list: '', null, --, n, f, false, n/a) read as NULL here, so "set" is
-- `is not null`; filename, exposerr and asn_candidate keep their text, and
-- raw_targetid and raw_filter keep the text of those two (Stage 2 documents
-- carry them as they are). The cell is the one jwst's candidate run shows;
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
        filter   as raw_filter
    from exposures
    where pool_id = $pool_id
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
    x.asn_candidate as raw_candidate,
    {{ x.compute_in_direct_image('r') }} as in_direct_image
from scope_rows as r
join scopes as s using (scope_id)
join described as x on x.row_no = r.row_no;

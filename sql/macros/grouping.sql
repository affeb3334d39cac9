{#- jwst's row-by-row grouping as set-based SQL, shared by both levels (spec
    level3.md §6.2). `source` is a relation of eligible rows with columns rule,
    scope_id, row_no, role and the `keys`, where NULL is a wildcard ("any").
    Emits four statements creating temp tables <prefix>_tuples, <prefix>_groups
    (one per association, group_id), <prefix>_candidates (every row whose set
    keys agree with a group: wildcards join several) and <prefix>_founders (the
    pool row that founded each association in jwst's pass). -#}
{% macro wildcard_groups(prefix, source, keys) -%}
-- Every distinct key tuple of a rule in a scope, with the first row that has exactly it,
-- and its wildcard pattern (a bit per key, set where the key is NULL).
create or replace temp table {{ prefix }}_tuples as
select rule, scope_id, {{ keys | join(', ') }}, min(row_no) as first_exact,
       {{ null_mask('s', keys) }} as mask
from {{ source }} as s
group by all;

-- An association for every tuple that no more specific tuple covers: jwst
-- fixes a wildcard key as soon as a row with a value joins. A tuple u covers t
-- when it has t's set keys and a value where t has a wildcard: u seen through
-- t's pattern (its keys there made NULL) equals t. Comparing through each
-- pattern of the scope keeps the test an equality join, whose cost grows with
-- tuples times patterns instead of tuples squared.
create or replace temp table {{ prefix }}_groups as
with patterns as (
    select distinct rule, scope_id, mask from {{ prefix }}_tuples
),
covers as (
    select p.rule, p.scope_id, p.mask,
    {%- for k in keys %}
        {{ masked('u', k, loop.index0, 'p.mask') }} as {{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ prefix }}_tuples as u
    join patterns as p on p.rule = u.rule and p.scope_id = u.scope_id
    where (p.mask | u.mask) <> u.mask
)
select t.* exclude (mask), row_number() over (order by t.rule, t.scope_id, t.first_exact)::integer as group_id
from {{ prefix }}_tuples as t
where not exists (
    select 1
    from covers as c
    where c.rule = t.rule and c.scope_id = t.scope_id and c.mask = t.mask
    {%- for k in keys %}
      and c.{{ k }} is not distinct from t.{{ k }}
    {%- endfor %}
);

-- Every eligible row whose set keys agree with an association's joins it. Each
-- association is seen through every wildcard pattern of its rule's rows in the
-- scope, so that a row meets the associations it agrees with on an equality join.
create or replace temp table {{ prefix }}_candidates as
with patterns as (
    select distinct rule, scope_id, {{ null_mask('e', keys) }} as mask from {{ source }} as e
),
seen as (
    select g.group_id, g.first_exact, g.rule, g.scope_id, p.mask,
    {%- for k in keys %}
        g.{{ k }} as g_{{ k }},
        {{ masked('g', k, loop.index0, 'p.mask') }} as {{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ prefix }}_groups as g
    join patterns as p on p.rule = g.rule and p.scope_id = g.scope_id
)
select
    g.group_id,
    g.first_exact,
    e.*,
    ({% for k in keys %}e.{{ k }} is not distinct from g.g_{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}) as is_exact,
    min(g.first_exact) over (partition by e.rule, e.scope_id, e.row_no, e.role) as first_group_seen
from seen as g
join {{ source }} as e
  on e.rule = g.rule and e.scope_id = g.scope_id and {{ null_mask('e', keys) }} = g.mask
{%- for k in keys %}
 and e.{{ k }} is not distinct from g.{{ k }}
{%- endfor %};

-- A wildcard read before any exact row founds the association whose first
-- exact row comes first among its groups; the next exact row then keys it.
create or replace temp table {{ prefix }}_founders as
select group_id, min(row_no) as founder_row
from (
    select group_id, first_exact as row_no from {{ prefix }}_groups
    union all
    select group_id, row_no from {{ prefix }}_candidates
    where not is_exact and row_no < first_exact and first_exact = first_group_seen
)
group by group_id;
{%- endmacro %}


{#- A bit per key, set where the key is NULL (a wildcard); at most 63 keys. -#}
{% macro null_mask(e, keys) -%}
({% for k in keys %}(case when {{ e }}.{{ k }} is null then {{ 2 ** loop.index0 }} else 0 end)::bigint{% if not loop.last %} | {% endif %}{% endfor %})
{%- endmacro %}

{#- The key as seen through a wildcard pattern: NULL where the pattern has its bit. -#}
{% macro masked(e, k, bit, mask) -%}
(case when ({{ mask }} & {{ 2 ** bit }}) <> 0 then null else {{ e }}.{{ k }} end)
{%- endmacro %}

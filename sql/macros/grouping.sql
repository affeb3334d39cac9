{#- jwst's row-by-row grouping as set-based SQL, shared by both levels (spec
    level3.md §6.2). `source` is a relation of eligible rows with columns rule,
    scope_id, row_no, role and the `keys`, where NULL is a wildcard ("any").
    Emits four statements creating temp tables <prefix>_tuples, <prefix>_groups
    (one per association, group_id), <prefix>_candidates (every row whose set
    keys agree with a group: wildcards join several) and <prefix>_founders (the
    pool row that founded each association in jwst's pass). -#}
{% macro wildcard_groups(prefix, source, keys) -%}
-- Every distinct key tuple of a rule in a scope, with the first row that has exactly it.
create or replace temp table {{ prefix }}_tuples as
select rule, scope_id, {{ keys | join(', ') }}, min(row_no) as first_exact
from {{ source }} as s
group by all;

-- An association for every tuple that no more specific tuple covers: jwst
-- fixes a wildcard key as soon as a row with a value joins.
create or replace temp table {{ prefix }}_groups as
select t.*, row_number() over (order by t.rule, t.scope_id, t.first_exact)::integer as group_id
from {{ prefix }}_tuples as t
where not exists (
    select 1
    from {{ prefix }}_tuples as u
    where u.rule = t.rule and u.scope_id = t.scope_id
    {%- for k in keys %}
      and (t.{{ k }} is null or u.{{ k }} = t.{{ k }})
    {%- endfor %}
      and (
    {%- for k in keys %}
        (t.{{ k }} is null and u.{{ k }} is not null){% if not loop.last %} or{% endif %}
    {%- endfor %}
      )
);

-- Every eligible row whose set keys agree with an association's joins it.
create or replace temp table {{ prefix }}_candidates as
select
    g.group_id,
    g.first_exact,
    e.*,
    ({% for k in keys %}e.{{ k }} is not distinct from g.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}) as is_exact,
    min(g.first_exact) over (partition by e.rule, e.scope_id, e.row_no, e.role) as first_group_seen
from {{ prefix }}_groups as g
join {{ source }} as e
  on e.rule = g.rule and e.scope_id = g.scope_id
{%- for k in keys %}
 and (e.{{ k }} is null or e.{{ k }} = g.{{ k }})
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

{#- jwst's row-by-row grouping, shared by both levels (spec level3.md §6.2).
    `source` is a relation of eligible rows with columns rule, scope_id, row_no,
    role and the `keys`, where NULL is a wildcard ("any"). Emits statements
    creating temp tables <prefix>_groups (one per association, group_id, with
    the values its keys end with), <prefix>_candidates (every row whose set keys
    agree with a group's: wildcards join several) and <prefix>_founders (the
    pool row that founded each association in jwst's pass).
    `locks` names keys that read one of several columns, as jwst's
    multi-source constraints do (constraint.py AttrConstraint): {key: {'sources':
    [columns of `source`, in jwst's order], 'required': bool}}. The first row to
    set such a key fixes it to "column:value" of the first column it sets, and
    from then on only that column is read: a row agrees when its value there is
    equal, or (not required) when it leaves that column unset. The source's own
    value of a lock key only says whether the rule keys on it ('' = not); a row
    keyed on a required one sets one of its columns (the rule's test sees to it).
    `acquisitions` (optional) is a relation of target acquisitions, with the
    source's columns, obs_num, at_row (its place in the pass, in row numbers) and acq_order: the indexes (1-based, into `keys`)
    of the keys jwst's rule tests an acquisition on before the test it fails, in
    test order, cut at the first one it cannot pass. jwst offers an acquisition to
    an association holding an exposure of its observation (rules_level3_base.py
    AsnMixin_Science, its acq_check alternative); the rule's tests run first, and
    what they fixed before the failing one stays fixed: an acquisition fixes the
    unset keys of that prefix and joins nothing in the pass. `base` lists the keys
    it must share for the offer to count at all. -#}
{% macro wildcard_groups(prefix, source, keys, locks={}, acquisitions=none, base=[]) -%}
-- The rows of each rule and scope in pool order, their keys as one list, with
-- what the pass below needs to know of them: their part, whether their file name
-- comes twice, and whether they can change the pass's state at all.
create or replace temp table {{ prefix }}_steps as
with
{%- if locks %}
-- a lock key's slot: the "column:value" the row would fix it to; `opts` holds
-- every "column:value" it sets, one list per lock key
optioned as (
    select s.*, [{% for k in locks %}{{ lock_options('s', k, locks[k]) }}{% if not loop.last %}, {% endif %}{% endfor %}] as opts
    from {{ source }} as s
),
{%- endif %}
rows as (
    select
        s.rule, s.scope_id, s.row_no, e.filename, {{ 'e.obs_num' if acquisitions else 'null::integer as obs_num' }},
        [{% for k in keys %}{{ slot('s', k, locks) }}{% if not loop.last %}, {% endif %}{% endfor %}] as keys,
        {%- if locks %}
        s.opts,
        {%- endif %}
        row_number() over (partition by s.rule, s.scope_id order by s.row_no, s.role) as step,
        count(*) over (partition by s.rule, s.scope_id, e.filename) > 1 as dup
    from {{ 'optioned' if locks else source }} as s
    join scope_exposures as e on e.scope_id = s.scope_id and e.row_no = s.row_no
),
-- A key set on every row of the rule and scope is never a wildcard there: two
-- rows with different values of it never agree. The rows with the same values
-- of those keys are a part, and parts meet only through a file name. A lock
-- key is such a key only where no row sets two of its columns (and, when not
-- required, all rows set the same column): else rows with different slots agree.
masked_rows as (
    select *, {{ list_null_mask('keys', keys | length) }} as mask from rows
),
parted as (
    select *, bit_or(mask) over (partition by rule, scope_id)
    {%- for k in keys if k in locks %}
        | case when bool_or(len(opts[{{ (locks | list).index(k) + 1 }}]) > 1) over (partition by rule, scope_id)
            {%- if not locks[k].required %}
            or min(split_part(keys[{{ keys.index(k) + 1 }}], ':', 1)) over (partition by rule, scope_id)
               <> max(split_part(keys[{{ keys.index(k) + 1 }}], ':', 1)) over (partition by rule, scope_id)
            {%- endif %}
            then {{ 2 ** keys.index(k) }} else 0 end::bigint
    {%- endfor %} as wild
    from masked_rows
)
select
    rule, scope_id, row_no, filename, obs_num, keys, mask, step, dup,{% if locks %} opts,{% endif %}
    dense_rank() over (order by rule, scope_id, [
    {%- for k in keys %}
        case when (wild & {{ 2 ** loop.index0 }}) = 0 then keys[{{ loop.index }}] end{% if not loop.last %},{% endif %}
    {%- endfor %}
    ]) as part_no
from parted;

-- Parts that hold the same file name are one component: a row whose file an
-- association already holds joins it whatever its keys (spec level3.md §6.2), so
-- their passes must run together. Labels spread to the smallest part of each.
create or replace temp table {{ prefix }}_components as
with spans as (
    select distinct rule, scope_id, filename, part_no from {{ prefix }}_steps where dup
),
links as (
    select part_no as a, min(part_no) over (partition by rule, scope_id, filename) as b
    from spans
),
edges as (
    select a, b from links where a <> b
    union
    select b, a from links where a <> b
)
select part_no, label
from (
    with recursive component using key (part_no) as (
        select distinct a as part_no, a as label from edges
        union
        select e.b as part_no, min(c.label) as label
        from component as c
        join edges as e on e.a = c.part_no
        join recurring.component as r on r.part_no = e.b
        group by e.b, r.label
        having min(c.label) < r.label
    )
    select * from component
);

-- The rows that can change the pass's state, numbered in pool order per
-- component; the others join without changing it (their pass is not replayed):
-- a row whose file name comes twice (an association may hold it); the first row
-- of its keys (a later row with the same keys and a file of its own agrees with
-- whatever the first one founded or joined, so founds nothing); a row that sets
-- a key some row of its component leaves unset (it may fill an association's).
create or replace temp table {{ prefix }}_moves as
with placed as (
    select s.*, coalesce(c.label, s.part_no) as component
    from {{ prefix }}_steps as s
    left join {{ prefix }}_components as c using (part_no)
),
{%- if acquisitions %}
acq_rows as (
    select a.rule, a.scope_id, a.at_row as row_no, e.filename, a.obs_num, a.acq_order,
           [{% for k in keys %}{{ slot('a', k, locks) }}{% if not loop.last %}, {% endif %}{% endfor %}] as keys
           {%- if locks %}, a.opts{% endif %}
    from (
        select s.*{% if locks %}, [{% for k in locks %}{{ lock_options('s', k, locks[k]) }}{% if not loop.last %}, {% endif %}{% endfor %}] as opts{% endif %}
        from {{ acquisitions }} as s
    ) as a
    join scope_exposures as e on e.scope_id = a.scope_id and e.row_no = a.row_no
),
-- an acquisition is offered to the associations holding an exposure of its
-- observation and sharing its `base` keys: it replays in each component with a
-- row of that observation and, key by key, a row of its value (an association's
-- key is a member's), after the row that founds the component's first
-- association (its first row, which always moves). Elsewhere it changes
-- nothing: a candidate spanning the pool (the discovery) holds the same
-- observation numbers in every program.
acq_placed as (
    select p.component, a.rule, a.scope_id, a.row_no, a.filename, a.obs_num, a.keys,
           {%- if locks %} a.opts,{% endif %} true as is_acq, a.acq_order, null::bigint as step
    from acq_rows as a
    join (select distinct component, rule, scope_id, obs_num from placed) as p
      on p.rule = a.rule and p.scope_id = a.scope_id and p.obs_num = a.obs_num
    {%- for k in base %}
    join (select distinct component, keys[{{ keys.index(k) + 1 }}] as value from placed) as base_{{ loop.index }}
      on base_{{ loop.index }}.component = p.component and base_{{ loop.index }}.value = a.keys[{{ keys.index(k) + 1 }}]
    {%- endfor %}
    join (select component, min(row_no) as first_row from placed group by component) as m
      on m.component = p.component and a.row_no > m.first_row
),
{%- endif %}
judged as (
    select
        placed.*,
        dup
        or row_number() over (partition by component, dup, keys{% if locks %}, opts{% endif %} order by step) = 1
        or (~mask & bit_or(mask) over (partition by component)) <> 0
        {%- if acquisitions %}
        -- before an acquisition of the component, which associations hold which
        -- observation matters, and any row may bring one: those rows replay
        or row_no < acq_last
        {%- endif %} as moves
    from placed
    {%- if acquisitions %}
    left join (
        select component, max(row_no) as acq_last from acq_placed group by all
    ) as a using (component)
    {%- endif %}
),
moving as (
    select rule, scope_id, component, row_no, filename, obs_num, keys,{% if locks %} opts,{% endif %}
           false as is_acq, null::integer[] as acq_order, step
    from judged
    where moves
)
select
    rule, scope_id, component, row_no, filename, obs_num, keys,{% if locks %} opts,{% endif %} is_acq,
    acq_order, row_number() over (partition by component order by row_no, is_acq, step) as move
from (select * from moving{% if acquisitions %} union all by name select * from acq_placed{% endif %});

-- jwst's pass, one row at a time per component: a row joins every association
-- whose keys it agrees with (NULL on either side agrees) and fixes their unset
-- keys with its values; a row that joins none, and whose file no association
-- holds yet, founds one. The state is the associations' keys, files and
-- founding rows; only the last state is kept. A lock key is compared on the
-- column the association fixed (`agrees_with`) and fixed like any other key,
-- from the row's slot.
create or replace temp table {{ prefix }}_passes as
with recursive pass using key (component) as (
    select component, rule, scope_id, move, [keys] as a_keys, [[filename]] as a_files,
           [row_no] as a_founders, [[obs_num]] as a_obs
    from {{ prefix }}_moves
    where move = 1
    union
    select
        component, rule, scope_id, move,
        case
        {%- if acquisitions %}
            -- an acquisition: where offered, the keys of its tests up to the first
            -- it fails that the association leaves unset take its values
            when is_acq then list_transform(a_keys, lambda a, i: case when acq_offered[i]
                then list_transform(a, lambda v, k: case when coalesce(list_bool_and(
                    list_transform(acq_order[1:list_position(acq_order, k)], lambda q: acq_passes[i][q])), false)
                    then coalesce(v, keys[k]) else v end)
                else a end)
        {%- endif %}
            when list_bool_or(joins)
            then list_transform(a_keys, lambda a, i: case when agrees[i] and not holds[i]
                then list_transform(list_zip(a, keys), lambda p: coalesce(p[1], p[2])) else a end)
            else list_append(a_keys, keys) end,
        case when is_acq then a_files
             when list_bool_or(joins)
            then list_transform(a_files, lambda f, i: case when agrees[i] and not holds[i]
                then list_append(f, filename) else f end)
            else list_append(a_files, [filename]) end,
        case when is_acq or list_bool_or(joins) then a_founders else list_append(a_founders, row_no) end,
        case when is_acq then a_obs
             when list_bool_or(joins)
            then list_transform(a_obs, lambda o, i: case when agrees[i] and not holds[i]
                then list_append(o, obs_num) else o end)
            else list_append(a_obs, [obs_num]) end
    from (
        select *, list_transform(agrees, lambda x, i: x or holds[i]) as joins
        {%- if acquisitions %},
            list_transform(a_keys, lambda a, i: list_contains(a_obs[i], obs_num)
            {%- for k in base %} and a[{{ keys.index(k) + 1 }}] = keys[{{ keys.index(k) + 1 }}]{% endfor %}) as acq_offered,
            list_transform(a_keys, lambda a: {{ key_checks('a', 's', keys, locks) }}) as acq_passes
        {%- endif %}
        from (
            select
                p.component, p.rule, p.scope_id, s.move, p.a_keys, p.a_files, p.a_founders, p.a_obs,
                s.keys, s.filename, s.row_no, s.obs_num, s.is_acq, s.acq_order,{% if locks %} s.opts,{% endif %}
                list_transform(p.a_keys, lambda a: list_bool_and({{ key_checks('a', 's', keys, locks) }})) as agrees,
                list_transform(p.a_files, lambda f: list_contains(f, s.filename)) as holds
            from pass as p
            join {{ prefix }}_moves as s on s.component = p.component and s.move = p.move + 1
        ) as s
    )
)
select rule, scope_id, unnest(a_keys) as keys, unnest(a_founders) as founder_row
from pass;

-- One association per founding row, with the values its keys ended with.
create or replace temp table {{ prefix }}_groups as
select
    rule, scope_id,
    {%- for k in keys %}
    keys[{{ loop.index }}] as {{ k }},
    {%- endfor %}
    founder_row as first_exact,
    row_number() over (order by rule, scope_id, founder_row)::integer as group_id
from {{ prefix }}_passes;

-- Every eligible row whose set keys agree with an association's joins it (the
-- rows read before it was founded only where jwst re-offers them). Two sides
-- agree when, seen through the union of their wildcard patterns (a key made NULL
-- where either side has it NULL), their keys are equal: each side is seen
-- through every pattern of the other side in the scope, so that the test is an
-- equality join instead of every row against every association.
-- A lock key that is not required is one key per column here: the association's
-- "column:value" under the column it fixed (NULL, any, under the others), the
-- row's under each column it sets. A required one is two keys, the column the
-- association fixed (<key>__col) and its "column:value", and a row is seen once
-- per column it sets (a row without the fixed column never agrees).
{%- set cols = namespace(names=[]) %}
{%- for k in keys %}
    {%- if k not in locks %}{% set cols.names = cols.names + [k] %}
    {%- elif locks[k].required %}{% set cols.names = cols.names + [k, k ~ '__col'] %}
    {%- else %}{% for c in locks[k].sources %}{% set cols.names = cols.names + [k ~ '__' ~ c] %}{% endfor %}
    {%- endif %}
{%- endfor %}
{%- set side_keys = cols.names %}
{%- set required = namespace(keys=[]) %}
{%- for k in locks if locks[k].required %}{% set required.keys = required.keys + [k] %}{% endfor %}
create or replace temp table {{ prefix }}_candidates as
with group_sides as (
    select g.*, {{ null_mask('g', side_keys) }} as mask
    from (
        select g.*
        {%- for k in locks %}
            {%- if locks[k].required %}, split_part(g.{{ k }}, ':', 1) as {{ k }}__col
            {%- else %}
            {%- for c in locks[k].sources %}, case when split_part(g.{{ k }}, ':', 1) = '{{ c }}' then g.{{ k }} end as {{ k }}__{{ c }}{% endfor %}
            {%- endif %}
        {%- endfor %}
        from {{ prefix }}_groups as g
    ) as g
),
{%- if locks %}
row_views_0 as (
    select e.rule, e.scope_id, e.row_no, e.role
    {%- for k in keys %},
        {% if k not in locks %}e.{{ k }}
        {%- elif locks[k].required %}{{ lock_options('e', k, locks[k]) }} as {{ k }}
        {%- else %}
        {%- for c in locks[k].sources %}case when e.{{ k }} is distinct from '' then '{{ c }}:' || e.{{ c }} end as {{ k }}__{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
        {%- endif %}
    {%- endfor %}
    from {{ source }} as e
),
{%- for k in required.keys %}
row_views_{{ loop.index }} as (
    select v.* replace (c.opt as {{ k }}), split_part(c.opt, ':', 1) as {{ k }}__col
    from row_views_{{ loop.index0 }} as v, unnest(v.{{ k }}) as c(opt)
),
{%- endfor %}
row_sides as (
    select e.*, {{ null_mask('e', side_keys) }} as mask from row_views_{{ required.keys | length }} as e
),
{%- else %}
row_sides as (
    select e.rule, e.scope_id, e.row_no, e.role, {{ null_mask('e', keys) }} as mask,
    {%- for k in keys %}
        e.{{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ source }} as e
),
{%- endif %}
group_patterns as (select distinct rule, scope_id, mask from group_sides),
row_patterns as (select distinct rule, scope_id, mask from row_sides),
groups_seen as (
    select g.group_id, g.first_exact, g.rule, g.scope_id, g.mask, p.mask as row_mask,
    {%- for k in side_keys %}
        {{ masked('g', k, loop.index0, 'g.mask | p.mask') }} as {{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from group_sides as g
    join row_patterns as p on p.rule = g.rule and p.scope_id = g.scope_id
),
rows_seen as (
    select r.rule, r.scope_id, r.row_no, r.role, r.mask, p.mask as group_mask,
    {%- for k in side_keys %}
        {{ masked('r', k, loop.index0, 'r.mask | p.mask') }} as {{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from row_sides as r
    join group_patterns as p on p.rule = r.rule and p.scope_id = r.scope_id
),
matches as (
    select distinct g.group_id, g.first_exact, r.rule, r.scope_id, r.row_no, r.role
    from groups_seen as g
    join rows_seen as r
      on r.rule = g.rule and r.scope_id = g.scope_id
     and r.group_mask = g.mask and g.row_mask = r.mask
    {%- for k in side_keys %}
     and r.{{ k }} is not distinct from g.{{ k }}
    {%- endfor %}
)
select m.group_id, m.first_exact, e.*
from matches as m
join {{ source }} as e
  on e.rule = m.rule and e.scope_id = m.scope_id and e.row_no = m.row_no and e.role = m.role;

create or replace temp table {{ prefix }}_founders as
select group_id, first_exact as founder_row from {{ prefix }}_groups;
{%- endmacro %}


{#- A bit per key, set where the key is NULL (a wildcard); at most 63 keys. -#}
{% macro null_mask(e, keys) -%}
({% for k in keys %}(case when {{ e }}.{{ k }} is null then {{ 2 ** loop.index0 }} else 0 end)::bigint{% if not loop.last %} | {% endif %}{% endfor %})
{%- endmacro %}

{#- The key as seen through a wildcard pattern: NULL where the pattern has its bit. -#}
{% macro masked(e, k, bit, mask) -%}
(case when ({{ mask }} & {{ 2 ** bit }}) <> 0 then null else {{ e }}.{{ k }} end)
{%- endmacro %}


{#- A bit per key of a list of keys, set where the key is NULL (a wildcard). -#}
{% macro list_null_mask(list, n) -%}
({% for i in range(n) %}(case when {{ list }}[{{ i + 1 }}] is null then {{ 2 ** i }} else 0 end)::bigint{% if not loop.last %} | {% endif %}{% endfor %})
{%- endmacro %}

{#- Every "column:value" a row sets of a lock key's columns, in the lock's
    order; [''] where the rule does not key on it (its value ''). -#}
{% macro lock_options(e, k, lock) -%}
(case when {{ e }}.{{ k }} is not distinct from '' then ['']
      else list_filter([{% for c in lock.sources %}'{{ c }}:' || {{ e }}.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}], lambda o: o is not null) end)
{%- endmacro %}

{#- A row's key as the pass reads it: a lock key's slot is the first column it
    sets (what it fixes an unset association to), NULL where it sets none. -#}
{% macro slot(e, k, locks) -%}
{%- if k in locks -%}
{{ e }}.opts[{{ (locks | list).index(k) + 1 }}][1]
{%- else -%}
{{ e }}.{{ k }}::varchar
{%- endif -%}
{%- endmacro %}

{#- Whether row `s` agrees with association keys `a`, key by key (agrees_with), as a
    list: one lambda over the keys, not an expression per key, since DuckDB sets a
    statement's expressions up again in every step of a recursive pass and a
    pass's cost per step follows their size. -#}
{% macro key_checks(a, s, keys, locks) -%}
{%- set locked = keys | select('in', locks) | list -%}
list_transform(list_zip({{ a }}, {{ s }}.keys), lambda kv, j:
{%- if locked %} case
    {%- for k in locked %}
    when j = {{ keys.index(k) + 1 }} then {{ agrees_with(a, s, k, keys.index(k) + 1, locks) }}
    {%- endfor %}
    else {% endif %}kv[1] is null or kv[2] is null or kv[1] = kv[2]{% if locked %} end{% endif %})
{%- endmacro %}

{#- Whether row `s` agrees on key k (the i-th) with association keys `a`: NULL on
    either side or equal; a lock key by the column the association fixed. -#}
{% macro agrees_with(a, s, k, i, locks) -%}
{%- if k in locks -%}
{%- set j = (locks | list).index(k) + 1 -%}
({{ a }}[{{ i }}] is null or list_contains({{ s }}.opts[{{ j }}], {{ a }}[{{ i }}])
    {%- if not locks[k].required %}
    or not list_contains(list_transform({{ s }}.opts[{{ j }}], lambda o: split_part(o, ':', 1)),
                         split_part({{ a }}[{{ i }}], ':', 1))
    {%- endif %})
{%- else -%}
({{ a }}[{{ i }}] is null or {{ s }}.keys[{{ i }}] is null or {{ a }}[{{ i }}] = {{ s }}.keys[{{ i }}])
{%- endif -%}
{%- endmacro %}

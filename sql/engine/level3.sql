-- Level 3: turn the eligible exposures of every rule into associations, as
-- jwst's row-by-row pass does (spec level3.md §6), for all rules at once.
-- Shaped by the rule files: `rules` lists each rule's name, late-join mode,
-- product-name and validity expressions, and whether it adds nod backgrounds;
-- `finalize` false (--no-finalize) keeps invalid associations and adds no nod
-- backgrounds, as jwst's unfinalized associations are.
-- `rules` holds only the rules with eligible rows (every row below carries its
-- rule's name), and `acquisitions` says whether any scope holds a target
-- acquisition: without one, the pass is rendered without their part.
{% import 'macros/exposures.sql' as x -%}
{% import 'macros/level3.sql' as l3 -%}
{% import 'macros/grouping.sql' as grouping -%}
{#- Constraint_Optical_Path's pupil/grating test reads the column the first
    member that sets one fixes: a lock key of the pass (k_opt2 keyed where the
    rule does not leave it ''), read from the exposure's columns. -#}
{% set keys = l3.keys -%}

{#- A target acquisition's value of each key a rule may test it on, and whether
    the test requires one (an acquisition without it fails there). -#}
{%- set acq_values = {
    'k_target': l3.target_key('t', "'target_acquisition'"),
    'k_filter': 't.filter',
    'k_opt2': 'null',
    'k_slit': "case when t.fxd_slit in ('s200a1', 's200a2') then null else t.fxd_slit end",
    'k_subarray': 't.subarray'} %}
{%- set acq_fails = {
    'k_target': '(' ~ l3.target_key('t', "'target_acquisition'") ~ ') is null and not ' ~ x.in_direct_image_candidate('t'),
    'k_subarray': 't.subarray is null'} %}
{#- Where an association of the rule may leave the key unset when the acquisition comes. -#}
{%- set acq_unset = {
    'k_target': 'l.k_target is null',
    'k_filter': 'l.k_filter is null',
    'k_opt2': "l.k_opt2 is distinct from '' and e.pupil is null and e.grating is null",
    'k_slit': 'l.k_slit is null',
    'k_subarray': 'l.k_subarray is null'} %}
{#- `acquiring` (when given) names the rules an acquisition can reach: one of their
    eligible rows shares a scope, program, instrument and observation with one. -#}
{%- set acq_rules = rules | selectattr('acq_keys') | selectattr('name', 'in', acquiring if acquiring is not none else rules | map(attribute='name') | list) | list %}

{% if acquisitions -%}
-- Target acquisitions a rule tests on keys an association may leave unset: jwst
-- offers each to the associations holding an exposure of its observation, and the
-- rule's tests before the one it fails fix those keys (Constraint_Target then the
-- optical path, or the other way round, rules_level3.py): an association a
-- background founded takes the acquisition's target. jwst offers each once in the
-- pass, at its row, and once more after it (its reprocessing of acquisitions,
-- Asn_Lv3ACQ_Reprocess), to the associations that then hold its observation:
-- at_row is the acquisition's place in the pass, past every row for the second
-- offer, so an acquisition read before its observation's science still fixes
-- what the science left unset.
create or replace temp table l3_acquisitions as
{%- for rule in acq_rules %}
select
    '{{ rule.name }}' as rule, t.scope_id, t.row_no, 'target_acquisition' as role,
    t.row_no + case when offer.after_pass then {{ 2 ** 30 }} else 0 end as at_row,
    t.program as k_program, t.instrume as k_instrume,
    {%- for k in keys if k not in ('k_program', 'k_instrume') %}
    {{ acq_values[k] if k in rule.acq_keys else 'null' }} as {{ k }},
    {%- endfor %}
    {{ 't.pupil' if 'k_opt2' in rule.acq_keys else 'null' }} as pupil,
    {{ 't.grating' if 'k_opt2' in rule.acq_keys else 'null' }} as grating,
    t.obs_num,
    case
    {%- for k in rule.acq_keys if k in acq_fails %}
        when {{ acq_fails[k] }} then [{% for j in rule.acq_keys[:loop.index0] %}{{ keys.index(j) + 1 }}{% if not loop.last %}, {% endif %}{% endfor %}]::integer[]
    {%- endfor %}
        else [{% for k in rule.acq_keys %}{{ keys.index(k) + 1 }}{% if not loop.last %}, {% endif %}{% endfor %}]::integer[]
    end as acq_order
from scope_exposures as t
cross join (values (false), (true)) as offer(after_pass)
-- per scope, program and instrument, the first row that leaves each key unset
-- (it may found an association with the key unset)
join (
    select l.scope_id, l.k_program, l.k_instrume,
    {%- for k in rule.acq_keys %}
        min(l.row_no) filter (where {{ acq_unset[k] }}) as unset_{{ k }}{% if not loop.last %},{% endif %}
    {%- endfor %}
    from l3_eligible as l
    join scope_exposures as e on e.scope_id = l.scope_id and e.row_no = l.row_no
    where l.rule = '{{ rule.name }}'
    group by all
) as u on u.scope_id = t.scope_id and u.k_program = t.program and u.k_instrume = t.instrume
-- per scope and observation, the first row: an acquisition read before any row of
-- its observation is offered to no association in the pass
join (
    select l.scope_id, l.k_program, l.k_instrume, e.obs_num, min(l.row_no) as first_row
    from l3_eligible as l
    join scope_exposures as e on e.scope_id = l.scope_id and e.row_no = l.row_no
    where l.rule = '{{ rule.name }}'
    group by all
) as o on o.scope_id = t.scope_id and o.k_program = t.program and o.k_instrume = t.instrume
     and o.obs_num = t.obs_num and (offer.after_pass or o.first_row < t.row_no)
where t.dms_role = 'target_acquisition' and {{ l3.base('t') }}
  and ({% for k in rule.acq_keys %}(u.unset_{{ k }} < t.row_no or offer.after_pass and u.unset_{{ k }} is not null) and {{ acq_values[k] if k != 'k_opt2' else 'coalesce(t.pupil, t.grating)' }} is not null{% if not loop.last %} or {% endif %}{% endfor %})
  and not exists (
      select 1 from l3_eligible as own
      where own.rule = '{{ rule.name }}' and own.scope_id = t.scope_id and own.row_no = t.row_no)
{%- if not loop.last %}
union all
{%- endif %}
{%- else %}
select * from (select null::varchar as rule, null::integer as scope_id, null::integer as row_no,
    null::varchar as role, null::integer as at_row,
    {%- for k in keys %} null::varchar as {{ k }},{% endfor %}
    null::varchar as pupil, null::varchar as grating, null::integer as obs_num,
    null::integer[] as acq_order) where false
{%- endfor %};
{%- endif %}

{{ grouping.wildcard_groups(
    'l3',
    "(select l.*, e.pupil, e.grating
      from l3_eligible as l
      join scope_exposures as e on e.scope_id = l.scope_id and e.row_no = l.row_no)",
    keys,
    {'k_opt2': {'sources': ['pupil', 'grating'], 'required': false}},
    acquisitions='l3_acquisitions' if acquisitions else none,
    base=['k_program', 'k_instrume']) }}

-- Members read after the association was founded join in the main pass (phase
-- 1); earlier ones only when jwst re-offers them to the rule's associations
-- (phase 2). An association takes a file name once.
create or replace temp table l3_grouped as
select c.*, f.founder_row, case when c.row_no >= f.founder_row then 1 else 2 end as phase
from l3_candidates as c
join l3_founders as f using (group_id)
join scope_exposures as e on e.scope_id = c.scope_id and e.row_no = c.row_no
where c.row_no >= f.founder_row or (case c.rule
{%- for rule in rules %}
    when '{{ rule.name }}' then {% if rule.late_join == 'always' %}true{% elif rule.late_join == 'never' %}false{% else %}not {{ x.in_direct_image_candidate('e') }}{% endif %}
{%- endfor %}
end)
qualify row_number() over (partition by c.group_id, e.filename order by c.row_no < f.founder_row, c.row_no) = 1;

-- Target acquisitions of the scope join every association holding a non-TA
-- member of their observation (jwst's Asn_Lv3ACQ_Reprocess): at their row when
-- the association already had such a member then (phase 1), else at the end (3).
create or replace temp table l3_members as
{%- if acquisitions %}
-- per association and observation, the first member (not a TA) of the main pass:
-- a TA read after it joins at its row. One row per observation, so the cost
-- grows with members plus TAs, not members times TAs.
with observations as (
    select m.group_id, m.rule, m.asn_type, m.rule_rank, m.scope_id, m.k_program, m.k_instrume,
           e.obs_num, min(m.row_no) filter (where m.phase = 1) as first_main_row
    from l3_grouped as m
    join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
    where m.role <> 'target_acquisition'
    group by m.group_id, m.rule, m.asn_type, m.rule_rank, m.scope_id, m.k_program, m.k_instrume,
             e.obs_num
),
offered as (
    select
        o.group_id, o.rule, o.asn_type, o.rule_rank, o.scope_id, t.row_no, t.filename,
        case when o.first_main_row < t.row_no then 1 else 3 end as phase
    from observations as o
    join scope_exposures as t
      on t.scope_id = o.scope_id and t.dms_role = 'target_acquisition'
     and t.program = o.k_program and t.instrume = o.k_instrume and t.is_imprt is null
     and t.obs_num = o.obs_num
),
-- An association takes a file name once, under the role of the row jwst's pass
-- adds first: a TA joins unless a member row of its file name came before it
-- (a copy of the file on a later row of another type is then left out below).
acquisitions as (
    select a.*
    from offered as a
    where not exists (
        select 1 from l3_grouped as g2
        join scope_exposures as e2 on e2.scope_id = g2.scope_id and e2.row_no = g2.row_no
        where g2.group_id = a.group_id and e2.filename = a.filename
          and (g2.phase < a.phase or g2.phase = a.phase and g2.row_no < a.row_no)
    )
    -- of two copies of a file, the one that joins first in jwst's pass (a later
    -- copy read when the association holds its observation joins at its row)
    qualify row_number() over (partition by a.group_id, a.filename order by a.phase, a.row_no) = 1
)
select g.group_id, g.rule, g.asn_type, g.rule_rank, g.scope_id, g.row_no, g.role, g.expname, g.phase
from l3_grouped as g
join scope_exposures as e on e.scope_id = g.scope_id and e.row_no = g.row_no
where not exists (
    select 1 from acquisitions as a where a.group_id = g.group_id and a.filename = e.filename
)
union all
select a.group_id, a.rule, a.asn_type, a.rule_rank, a.scope_id, a.row_no, 'target_acquisition',
       {{ l3.expname('t', "'target_acquisition'") }}, a.phase
from acquisitions as a
join scope_exposures as t on t.scope_id = a.scope_id and t.row_no = a.row_no;
{%- else %}
select group_id, rule, asn_type, rule_rank, scope_id, row_no, role, expname, phase from l3_grouped;
{%- endif %}

-- One row per association: its keys, candidate, and what validity and naming need.
create or replace temp table l3_summaries as
select
    g.* exclude (observed, slits, direct_image),
    s.acid,
    s.ctype,
    f.founder_row,
    coalesce(m.n_science, 0)      as n_science,
    coalesce(m.n_psf, 0)          as n_psf,
    coalesce(m.n_members, 0)      as n_members,
    coalesce(g.observed, 0)       as n_observations,
    -- group, background and mosaic candidates need two observations, a test of
    -- jwst's finalize only (--no-finalize writes them all the same)
    {% if finalize %}(s.ctype not in ('group', 'background', 'mosaic') or coalesce(g.observed, 0) >= 2){% else %}true{% endif %}
                                  as observations_ok,
    coalesce(list_sort(g.slits), []) as slit_tokens,
    coalesce(g.direct_image, false) as has_direct_image
from (
    -- the pupil, else grating, a name shows is the one the pass fixed (the first
    -- member's, or an acquisition's before it), else the first late member's
    select g.* replace (case when g.k_opt2 is distinct from ''
        then coalesce(substr(g.k_opt2, strpos(g.k_opt2, ':') + 1), p.opt2) else g.k_opt2 end as k_opt2),
        p.observed, p.slits, p.direct_image
    from l3_groups as g
    -- what the members read by the pass tell, in one pass over them: the first
    -- pupil, else grating; the observations (target acquisitions aside); the slit
    -- tokens; and, where the rule's target test is jwst's Constraint_Target
    -- (rule.direct_image_target), whether one is an exposure of a direct_image
    -- candidate (the association is then named for target 000)
    left join (
        select m.group_id,
               arg_min(coalesce(e.pupil, e.grating), [m.phase, m.row_no])
                   filter (where coalesce(e.pupil, e.grating) is not null) as opt2,
               count(distinct e.obs_num) filter (where m.role <> 'target_acquisition')
                   as observed,
               list(distinct m.slit_token) filter (where m.slit_token is not null) as slits,
               bool_or(e.in_direct_image) filter (
                   where m.rule in ({% for rule in rules if rule.direct_image_target %}'{{ rule.name }}', {% endfor %}''))
                   as direct_image
        from l3_grouped as m
        join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
        group by m.group_id
    ) as p using (group_id)
) as g
join scopes as s using (scope_id)
join l3_founders as f using (group_id)
left join (
    select group_id,
           count(*) filter (where role = 'science') as n_science,
           count(*) filter (where role = 'psf')     as n_psf,
           count(*)                                  as n_members
    from l3_members group by group_id
) as m using (group_id);

-- Names are built from the key values as jwst's re.escape leaves them (a
-- backslash before '-', '.', '+' and the like; real values have none), escaped
-- once here rather than in every name.
create or replace temp table l3_named as
with escaped as (
    select
        s.* replace (
        {%- for k in keys if k != 'k_program' %}
            {{ x.escaped('s.' ~ k) }} as {{ k }}{% if not loop.last %},{% endif %}
        {%- endfor %}
        ),
        concat_ws(', '
        {%- for k in keys %}, case when s.{{ k }} is distinct from '' then '{{ k[2:] }}=' || coalesce(s.{{ k }}, 'any') end{% endfor %}
        ) as group_key
    from l3_summaries as s
),
-- the name parts every rule shares, once per association
g as (
    select escaped.*, {{ l3.name_parts('escaped') }}
    from escaped
)
select
    g.group_id,
    g.scope_id,
    g.founder_row,
    g.group_key,
    g.target_token as target,
    case g.rule
    {%- for rule in rules %}
        when '{{ rule.name }}' then {{ rule.product_name }}
    {%- endfor %}
    end as product_name,
    case g.rule
    {%- for rule in rules %}
        when '{{ rule.name }}' then {{ rule.is_valid }}
    {%- endfor %}
    end as is_valid,
    g.rule in ({% for rule in rules if rule.nod_backgrounds %}'{{ rule.name }}', {% endfor %}'') and g.n_science >= 2
        as adds_nod_backgrounds
from g;

insert into rule_matches by name
select
    3                  as level,
    m.rule,
    m.asn_type,
    m.rule_rank,
    a.scope_id,
    a.group_key,
    a.founder_row      as seed_row,
    a.product_name,
    a.target,
    row_number() over (partition by m.group_id order by m.phase, m.row_no)::integer as position,
    m.row_no,
    m.expname,
    m.role             as exptype,
    e.exposerr,
    e.asn_candidate,
    a.is_valid         as valid
from l3_members as m
join l3_named as a using (group_id)
join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
-- unfinalized, jwst keeps (and numbers) invalid associations, unwritten
where {{ 'a.is_valid' if finalize else 'true' }};

{% if finalize and rules | selectattr('nod_backgrounds') | list -%}
-- Nod backgrounds (Asn_Lv3SpectralTarget): each science member again as the
-- background of the others, named for its extracted spectrum (_x1d), placed
-- after all of the association's members (positions 1..group_size above).
insert into rule_matches by name
select
    3 as level, m.rule, m.asn_type, m.rule_rank, a.scope_id, a.group_key,
    a.founder_row      as seed_row,
    a.product_name, a.target,
    (m.group_size + row_number() over (partition by m.group_id order by m.phase, m.row_no))
        ::integer      as position,
    m.row_no,
    {{ l3.nod_background_name('m.expname') }} as expname,
    'background'       as exptype,
    e.exposerr,
    e.asn_candidate
from (select *, count(*) over (partition by group_id) as group_size from l3_members) as m
join l3_named as a using (group_id)
join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
where {{ 'a.is_valid and a.adds_nod_backgrounds' if finalize else 'false' }} and m.role = 'science';
{%- endif %}

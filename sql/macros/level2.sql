{#- Stage 2 building blocks: the constraints the Level 2 rules share (jwst's
    rules_level2_base.py and rules_level2b.py), used by sql/rules/level2/. Values
    come from scope_exposures, where unset values are NULL. See
    ../shared/spec/level2.md §2-§6. -#}
{% import 'macros/exposures.sql' as x %}

{#- The keys a Level 2 rule can ask members to share (columns of l2_eligible).
    Members are compatible when, key by key, either value is NULL or both are equal. -#}
{%- set keys = ['k_program', 'k_instrume', 'k_detector', 'k_opt_elem', 'k_opt_elem2', 'k_grating',
    'k_fxd_slit', 'k_subarray', 'k_channel', 'k_tsovisit', 'k_exp_type', 'k_mostilno',
    'k_expspcin', 'k_numdthpt', 'k_subpx', 'k_msametfl', 'k_patttype', 'k_target', 'k_pupil',
    'k_obs_id'] %}

{%- set image2_science = ['fgs_image', 'mir_4qpm', 'mir_image', 'mir_lyot', 'nis_ami', 'nis_image',
    'nrc_coron', 'nrc_image', 'nrs_mimf', 'nrc_tsimage'] %}
{%- set image2_nonscience = ['mir_coroncal', 'nis_focus', 'nrc_focus', 'nrs_focus', 'nrs_image',
    'mir_tacq', 'mir_taconfirm', 'nis_taconfirm', 'nis_tacq', 'nrc_taconfirm', 'nrc_tacq',
    'nrs_confirm', 'nrs_msata', 'nrs_taconfirm', 'nrs_tacq', 'nrs_taslit', 'nrs_verify', 'nrs_wata'] %}
{%- set spec2_science = ['mir_lrs-fixedslit', 'mir_lrs-slitless', 'mir_mrs', 'mir_wfss', 'nis_soss',
    'nis_wfss', 'nrc_tsgrism', 'nrc_wfss', 'nrs_fixedslit', 'nrs_ifu', 'nrs_msaspec',
    'nrs_brightobj'] %}


{#- The Level 2 role: jwst's generic role with psf read as science. -#}
{% macro role(e) -%}
(case when {{ e }}.dms_role = 'psf' then 'science' else {{ e }}.dms_role end)
{%- endmacro %}

{#- The contract columns every eligible row starts with. -#}
{% macro member(e, role, is_science) -%}
{{ e }}.scope_id,
{{ e }}.row_no,
{{ role }} as role,
{{ is_science }} as is_science,
{{ e }}.program as k_program
{%- endmacro %}

{#- BASE: a set program (shared), and the time-series flag shared where set. -#}
{% macro base_keys(e) -%}
{{ e }}.tsovisit as k_tsovisit
{%- endmacro %}

{% macro base_ok(e) -%}
({{ e }}.program is not null)
{%- endmacro %}

{#- MODE, jwst's Constraint_Mode: instrument, detector, the first set of filter/band
    (as "column:value", since the column chosen is locked too), pupil/grating, slit,
    subarray and channel where set. The optional pupil/grating test locks the
    column of the first member that sets one (pupil first) and reads only that
    column afterwards, so an unset pupil lets any grating by: the pupil is one
    key, the grating another that counts only where the pupil is unset. -#}
{% macro mode_keys(e) -%}
{{ e }}.instrume as k_instrume,
{{ e }}.detector as k_detector,
case when {{ e }}.filter is not null then 'filter:' || {{ e }}.filter
     when {{ e }}.band is not null then 'band:' || {{ e }}.band end as k_opt_elem,
{{ e }}.pupil as k_opt_elem2,
case when {{ e }}.pupil is null then {{ e }}.grating end as k_grating,
{{ e }}.fxd_slit as k_fxd_slit,
{{ e }}.subarray as k_subarray,
{{ e }}.channel as k_channel
{%- endmacro %}

{%- set base_key_names = ['k_program', 'k_tsovisit'] %}
{%- set mode_key_names = ['k_instrume', 'k_detector', 'k_opt_elem', 'k_opt_elem2', 'k_grating', 'k_fxd_slit',
    'k_subarray', 'k_channel'] %}

{#- Science read through another door. jwst's rules that take "a background
    target, or a single science exposure" (Constraint_Background or
    Constraint_Single_Science) let a background target that is also a PSF in
    through the background test, and then class it as science. Such a row joins
    every association of the rule it meets, founds one only when it met none, and
    an association holding it refuses later science (Constraint_Single_Science).
    So when no science of the rule that it could join was read before it, the
    association it founds, or the one a background before it founded, is its
    own: it is that association's science, and later science founds apart.
    Returns those rows of `source` (the rule's eligible rows) again, as founders;
    `keys` are the key columns the rule selects. -#}
{% macro joiners_founding(source, keys) -%}
select p.* replace (true as is_science)
from {{ source }} as p
where p.role = 'science' and not p.is_science
  and not exists (
      select 1 from {{ source }} as t
      where t.scope_id = p.scope_id and t.row_no < p.row_no and t.role = 'science'
      {%- for k in keys %}
        and (t.{{ k }} is null or p.{{ k }} is null or t.{{ k }} = p.{{ k }})
      {%- endfor %})
  and not exists (
      select 1 from {{ source }} as o
      where o.scope_id = p.scope_id and o.row_no = p.row_no and o.is_science)
{%- endmacro %}

{#- MODE's required values and exclusions. -#}
{% macro mode_ok(e) -%}
{{ e }}.l2_mode_ok
{%- endmacro %}

{#- MODE's test as computed once per exposure in scope_exposures. -#}
{% macro compute_mode_ok(e) -%}
({{ e }}.instrume is not null and {{ e }}.detector is not null
 and ({{ e }}.filter is not null or {{ e }}.band is not null)
 and not ({{ e }}.detector is not distinct from 'nirspec' or {{ e }}.filter is not distinct from 'opaque')
 and not ({{ e }}.detector is not distinct from 'nrcblong' and {{ e }}.exp_type = 'nrc_tsgrism')
 and not {{ is_wfsc_visit(e) }})
{%- endmacro %}

{#- A wavefront-sensing visit: visitype matches .+wfsc.+ -#}
{% macro is_wfsc_visit(e) -%}
coalesce(regexp_full_match({{ e }}.visitype, '.+wfsc.+'), false)
{%- endmacro %}

{#- Constraint_TSO's row test. -#}
{% macro is_tso(e) -%}
{{ e }}.is_tso
{%- endmacro %}

{#- AsnMixin_Lv2WFSS's role: an imaging science exposure is a direct image. -#}
{% macro wfss_role(e) -%}
(case when {{ role(e) }} = 'science' and {{ e }}.exp_type in ('nis_image', 'nrc_image', 'mir_image')
      then 'direct_image' else {{ role(e) }} end)
{%- endmacro %}

{#- Constraint_Target's key: 000 for every exposure of a direct_image candidate
    (the cell reads [('cNNNN', 'direct_image')]), otherwise the targetid. -#}
{% macro target_key(e) -%}
case when {{ x.in_direct_image_candidate(e) }} then '000' else {{ e }}.targetid end
{%- endmacro %}

{#- Constraint_Target needs a set targetid outside direct_image candidates. -#}
{% macro has_target(e) -%}
({{ x.in_direct_image_candidate(e) }} or {{ e }}.targetid is not null)
{%- endmacro %}

{#- NIRSpec lamp light path (dms_base nrslamp_valid_detector): any MSA setting;
    IFU gratings by detector and lamp; fixed-slit (grating, lamp) pairs on both
    detectors (the lamp table). -#}
{% macro lamp_path_ok(e) -%}
({{ e }}.detector is not null and {{ e }}.grating is not null and {{ e }}.opmode is not null and (
    {{ e }}.opmode = 'msaspec'
    or {{ e }}.opmode = 'ifu' and {{ e }}.lamp is not null and (
        {{ e }}.grating in ('g395h', 'g235h')
        or {{ e }}.grating in ('g395m', 'g235m', 'g140m', 'prism') and {{ e }}.detector = 'nrs1'
        or {{ e }}.grating = 'g140h' and not ({{ e }}.detector = 'nrs2' and {{ e }}.lamp = 'flat4'))
    or {{ e }}.opmode = 'fixedslit' and {{ e }}.detector in ('nrs1', 'nrs2') and (
        {{ e }}.grating = 'prism' and {{ e }}.lamp in ('line4', 'flat5', 'test')
        or {{ e }}.grating in ('g395h', 'g395m') and {{ e }}.lamp in ('flat3', 'line3')
        or {{ e }}.grating in ('g235h', 'g235m') and {{ e }}.lamp in ('flat2', 'line2')
        or {{ e }}.grating = 'g140h' and {{ e }}.lamp in ('flat1', 'ref', 'line1', 'flat4')
        or {{ e }}.grating = 'g140m' and {{ e }}.lamp in ('flat1', 'line1', 'flat4'))))
{%- endmacro %}

{#- SOSS with a calibrated filter (not f277w). -#}
{% macro soss_calibrated(e) -%}
({{ e }}.exp_type <> 'nis_soss' or ({{ e }}.filter is not null and {{ e }}.filter <> 'f277w'))
{%- endmacro %}

{#- Whether a member's file is named _rateints: a science pointing that is
    coronagraphic (unless `coron_counts` is false), AMI, or time series (its own
    flag or the association's). -#}
{% macro is_integrations(e, association_tso, coron_counts=true) -%}
({{ e }}.pntgtype = 'science' and not {{ x.is_acq_or_verify_type(e) }} and (
    {%- if coron_counts %}
    {{ x.is_coron_type(e) }}
    or
    {%- endif %}
    {{ e }}.exp_type = 'nis_ami'
    or {{ e }}.tsovisit = 't' or {{ e }}.exp_type in ('nrc_tsimage', 'nrc_tsgrism', 'nrs_brightobj')
    or {{ association_tso }}))
{%- endmacro %}

{#- Python's int() of a pool value: NULL unless it is a whole number. -#}
{% macro py_int(value) -%}
(case when regexp_full_match(trim({{ value }}), '[+-]?[0-9]+') then cast(trim({{ value }}) as bigint) end)
{%- endmacro %}

{#- Sub-pixel points: subpxpts, else subpxpns. -#}
{% macro subpixels(e) -%}
coalesce({{ py_int(e ~ '.subpxpts') }}, {{ py_int(e ~ '.subpxpns') }})
{%- endmacro %}

{#- The primary dither position of a nod. -#}
{% macro primary_position(e) -%}
floor(({{ py_int(e ~ '.patt_num') }} - 1) / {{ subpixels(e) }}::double)
{%- endmacro %}

{#- Whether nod t overlaps science s, so it cannot be s's background (jwst's
    nrs_fss_valid / nrs_msa overlap tests, spec level2.md §5.11). kind: fs, mos, none. -#}
{% macro nods_overlap(s, t, kind) -%}
{%- if kind == 'none' -%}
false
{%- else -%}
(case
    when {{ s }}.exp_type not in ('nrs_fixedslit', 'nrs_msaspec') then false
    when {{ s }}.raw_targetid is distinct from {{ t }}.raw_targetid then true
    when {{ py_int(s ~ '.numdthpt') }} is null or {{ py_int(s ~ '.patt_num') }} is null
         or {{ py_int(t ~ '.patt_num') }} is null
         or coalesce({{ subpixels(s) }}, 0) = 0 or coalesce({{ subpixels(t) }}, 0) = 0
        then {{ 'true' if kind == 'fs' else 'false' }}
    when {{ primary_position(s) }} = {{ primary_position(t) }} then true
    {%- if kind == 'fs' %}
    when {{ s }}.fxd_slit = 's1600a1'
         and floor({{ py_int(s ~ '.numdthpt') }} / {{ subpixels(s) }}::double) = 5
         and abs({{ primary_position(s) }} - {{ primary_position(t) }}) <= 1 then true
    {%- endif %}
    else false
end)
{%- endif -%}
{%- endmacro %}

{#- jwst's imprint pruning (spec level2.md §5.12) over the members in `table`
    of rules with `prune_imprints: yes`; `key` names the association column. -#}
{% macro prune_imprints(table, key, rules) -%}
create or replace temp table l2_imprint_drops as
with flagged as (
    select m.{{ key }} as owner, m.row_no, m.role, e.raw_targetid as targetid,
           coalesce(e.bkgdtarg = 't', false) as is_bkg_t, e.dithptin
    from {{ table }} as m
    join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
    where m.rule in ({% for rule in rules if rule.prune_imprints %}'{{ rule.name }}', {% endfor %}'')
),
science as (
    select owner, list(targetid) as targets, bool_or(is_bkg_t) as is_bkg_t,
           count(*) as n_science, list(dithptin) filter (where dithptin is not null) as dithers
    from flagged where role = 'science' group by owner
),
-- the imprints of the science's own kind (background or not)
candidates as (
    select f.owner, f.row_no, f.targetid, f.dithptin, s.targets, s.n_science, s.dithers,
           bool_or(list_contains(s.targets, f.targetid)) over (partition by f.owner) as any_on_target
    from flagged as f
    join science as s using (owner)
    where f.role = 'imprint' and f.is_bkg_t = s.is_bkg_t
),
off_target as (
    select owner, row_no from candidates
    where any_on_target and not coalesce(list_contains(targets, targetid), false)
),
kept as (
    select c.*, count(*) over (partition by c.owner) as n_candidates,
           bool_or(coalesce(list_contains(c.dithers, c.dithptin), false)) over (partition by c.owner) as any_dither
    from candidates as c
    where (c.owner, c.row_no) not in (select (owner, row_no) from off_target)
)
select owner, row_no from off_target
union all
select owner, row_no from kept
where n_science >= 1 and n_science < n_candidates and any_dither
  and not coalesce(list_contains(dithers, dithptin), false);

delete from {{ table }} as m
where m.role = 'imprint'
  and exists (select 1 from l2_imprint_drops as d where d.owner = m.{{ key }} and d.row_no = m.row_no);
{%- endmacro %}

{#- WFSS (rules with `wfss: closest` or `wfss: parallel`): an association needs a
    direct image; the one chosen names the three Level 3 catalog files that
    replace the direct images (spec level2.md §5.10). -#}
{% macro wfss_catalogs(table, rules) -%}
create or replace temp table l2_wfss_choice as
with wfss as (
    select m.*, e.filename, e.expspcin, e.instrume, e.subarray, e.raw_program, e.targetid,
           e.in_direct_image, f.raw_program as seed_program,
           e.filter, e.band, e.pupil, e.grating, e.raw_filter, e.asn_candidate,
           case when false then null
           {%- for rule in rules if rule.wfss %}
               when m.rule = '{{ rule.name }}' then '{{ rule.wfss }}'
           {%- endfor %}
           end as mode,
           row_number() over (partition by m.association order by m.phase, m.requeue_row, m.row_no) as member_order
    from {{ table }} as m
    join scope_exposures as e on e.scope_id = m.scope_id and e.row_no = m.row_no
    left join scope_exposures as f on f.scope_id = m.scope_id and f.row_no = m.seed_row
    where m.rule in ({% for rule in rules if rule.wfss %}'{{ rule.name }}', {% endfor %}'')
),
science as (
    select association, any_value(mode) as mode, any_value(scope_id) as scope_id,
           arg_min(expspcin, member_order) filter (where role = 'science') as expspcin,
           -- the association's program is the cell of the row that founded it, as its
           -- file name's (Asn_Lv2WFSSParallel has no program test; 'null' when blank)
           coalesce(any_value(seed_program), arg_min(raw_program, member_order)) as program,
           arg_min(targetid, member_order) filter (where role = 'science') as targetid,
           arg_min(instrume, member_order) filter (where role = 'science') as instrume,
           arg_min(subarray, member_order) filter (where role = 'science') as subarray,
           bool_or({{ x.in_direct_image_candidate('wfss') }}) filter (where role = 'science')
               as in_direct_image_candidate
    from wfss group by association
),
ranked as (
    select d.*, s.mode, s.instrume as science_instrume,
           {{ py_int('d.expspcin') }} - {{ py_int('s.expspcin') }} as step,
           row_number() over (
               partition by d.association
               order by
                   case when s.mode = 'closest' then
                        case when {{ py_int('d.expspcin') }} - {{ py_int('s.expspcin') }} between 1 and 9998
                             then {{ py_int('d.expspcin') }} - {{ py_int('s.expspcin') }} end
                   end nulls last,
                   case when s.mode = 'parallel' and strpos(d.filename, 'long') > 0 then 0 else 1 end,
                   d.member_order
           ) as pick
    from wfss as d
    join science as s using (association)
    where d.role = 'direct_image'
)
select
    s.association,
    'jw' || {{ x.zero_pad('s.program', 5) }} || '-' || sc.acid
        || '_t' || {{ x.zero_pad(x.escaped("case when s.in_direct_image_candidate then '000' else s.targetid end"), 3) }}
        || '_' || {{ x.escaped('s.instrume') }}
        -- MIRI: the direct image's filter cell as it is ('null' when empty); a pool
        -- without the column has none, and the name says clear
        || '_' || case when s.instrume = 'miri' then {{ x.escaped("coalesce(d.raw_filter, 'clear')") }}
                       else {{ x.opt_elem([x.escaped('coalesce(d.filter, d.band)'), x.escaped('coalesce(d.pupil, d.grating)')]) }} end
        || case when s.mode = 'closest' and s.instrume = 'niriss' and s.subarray is distinct from 'full'
                     and s.subarray is not null
                then '-' || {{ x.escaped('s.subarray') }} else '' end
        as catalog_root
from science as s
join scopes as sc using (scope_id)
join ranked as d on d.association = s.association and d.pick = 1;

-- no direct image: no association
delete from {{ table }}
where rule in ({% for rule in rules if rule.wfss %}'{{ rule.name }}', {% endfor %}'')
  and association not in (select association from l2_wfss_choice);

delete from {{ table }}
where role = 'direct_image' and association in (select association from l2_wfss_choice);
{%- endmacro %}

{#- The three catalog members after every other member of a WFSS association. -#}
{% macro insert_wfss_catalogs() -%}
insert into rule_matches by name
select
    any_value(m.level) as level, m.rule, any_value(m.asn_type) as asn_type,
    any_value(m.rule_rank) as rule_rank, m.scope_id, m.group_key,
    any_value(m.seed_row) as seed_row, any_value(m.split_index) as split_index,
    any_value(m.product_name) as product_name, any_value(m.target) as target,
    max(m.position) + f.place as position,
    null as row_no,
    c.catalog_root || f.file_suffix as expname,
    f.exptype,
    null as exposerr,
    false as has_exposerr,
    bool_or(m.degraded) as degraded
from rule_matches as m
join l2_wfss_choice as c on c.association = m.group_key
cross join (values (1, '_i2d.fits', 'direct_image'), (2, '_cat.ecsv', 'sourcecat'),
                   (3, '_segm.fits', 'segmap')) as f(place, file_suffix, exptype)
where m.level = 2
group by m.rule, m.scope_id, m.group_key, f.place, c.catalog_root, f.file_suffix, f.exptype;
{%- endmacro %}

{#- Stage 3 building blocks: the constraints every Level 3 rule shares (jwst's
    rules_level3_base.py), used by the rule files in sql/rules/level3/. Values
    come from scope_exposures, where unset values are NULL. See
    ../shared/spec/level3.md §4-§9. -#}
{% import 'macros/exposures.sql' as x %}

{%- set image_types = ['nrc_image', 'mir_image', 'nis_image', 'fgs_image', 'nrs_mimf'] %}

{#- The keys a Level 3 rule can group on (columns of l3_eligible). -#}
{%- set keys = ['k_program', 'k_instrume', 'k_exp_type', 'k_visitype', 'k_target', 'k_filter',
    'k_opt2', 'k_opt2_grating', 'k_slit', 'k_subarray', 'k_bkgdtarg', 'k_patttype', 'k_grating', 'k_pupil',
    'k_detector', 'k_obs_id', 'k_act_id'] %}

{#- The columns of the rule contract every eligible row starts with: its scope,
    row, role and file name, and the two keys of BASE (program, instrument). -#}
{% macro member(e, role, coron_counts=true) -%}
{{ e }}.scope_id,
{{ e }}.row_no,
{{ role }} as role,
{{ expname(e, role, coron_counts) }} as expname,
{{ e }}.program as k_program,
{{ e }}.instrume as k_instrume
{%- endmacro %}

{#- AsnMixin_AuxData's member role: every exposure is science, except that a
    target acquisition stays one. -#}
{% macro aux_role(e) -%}
(case when {{ e }}.dms_role = 'target_acquisition' then 'target_acquisition' else 'science' end)
{%- endmacro %}

{#- BASE: a set program and instrument, and never an imprint exposure. -#}
{% macro base(e) -%}
({{ e }}.program is not null and {{ e }}.instrume is not null and {{ e }}.is_imprt is null)
{%- endmacro %}

{#- IMG: an imaging exposure type. -#}
{% macro is_image_type(e) -%}
({{ e }}.exp_type in {{ x.in_list(image_types) }})
{%- endmacro %}

{#- Constraint_Image_Science's visit test: not part of a wavefront-sensing visit. -#}
{% macro not_wfsc_visit(e) -%}
({{ e }}.visitype is null or strpos({{ e }}.visitype, 'wfsc') = 0)
{%- endmacro %}

{#- Constraint_TSO, negated: not a time-series science exposure. -#}
{% macro not_tso(e) -%}
(not {{ e }}.is_tso)
{%- endmacro %}

{#- TGT, the target key. An exposure whose candidate cell is a direct_image
    candidate matches any target (jwst's Constraint_Target takes it through its
    first branch, target 000), and an association holding one is named t000
    (has_direct_image); otherwise the targetid, with backgrounds as wildcards
    unless every exposure is keyed (aux rules). -#}
{% macro target_key(e, role, all_keyed=false) -%}
case
    when {{ x.in_direct_image_candidate(e) }} then null
    {%- if not all_keyed %}
    when {{ role }} = 'background' then null
    {%- endif %}
    else {{ e }}.targetid
end
{%- endmacro %}

{#- TGT needs a set targetid wherever the target is keyed. -#}
{% macro has_target(e, role, all_keyed=false) -%}
({{ x.in_direct_image_candidate(e) }}
    {%- if not all_keyed %} or {{ role }} = 'background'{% endif %}
    or {{ e }}.targetid is not null)
{%- endmacro %}

{#- TGT for coronagraphy and AMI: only science exposures carry the target. -#}
{% macro science_target_key(e, role) -%}
case when {{ role }} = 'science' then {{ e }}.targetid end
{%- endmacro %}

{% macro has_science_target(e, role) -%}
({{ role }} <> 'science' or {{ e }}.targetid is not null)
{%- endmacro %}

{#- OP, the optical path keys: filter; pupil, else grating (k_opt2, where set: the
    engine reads it from the pupil and grating columns as a lock key of the
    grouping pass, since jwst locks the column of the first member that sets one
    and reads only that one afterwards; names take the first member's); the slit
    unless it is s200a1 or s200a2 (those join every slit and are named apart,
    slit_token); subarray, which must be set (optical_path_ok). -#}
{% macro optical_path(e) -%}
{{ e }}.filter as k_filter,
{{ e }}.pupil as k_opt2,
case when {{ e }}.fxd_slit in ('s200a1', 's200a2') then null else {{ e }}.fxd_slit end as k_slit,
case when {{ e }}.fxd_slit in ('s200a1', 's200a2') then {{ e }}.fxd_slit end as slit_token,
{{ e }}.subarray as k_subarray
{%- endmacro %}

{% macro optical_path_ok(e) -%}
({{ e }}.subarray is not null)
{%- endmacro %}

{#- The suffix of a member that is not a background (spec level3.md §7): cal
    for calibrated exposure types, else rate; `ints` for time-series,
    coronagraphic and AMI science pointings (coronagraphy does not count for
    NRCCoronImage). -#}
{% macro compute_suffix(e, coron_counts=true) -%}
(case
    when {{ e }}.exp_type in {{ x.in_list(['fgs_image', 'mir_4qpm', 'mir_image', 'mir_lyot',
        'nis_ami', 'nis_image', 'nrc_coron', 'nrc_image', 'nrs_mimf', 'nrc_tsimage',
        'mir_coroncal', 'nis_focus', 'nrc_focus', 'nrs_focus', 'nrs_image', 'nrs_verify',
        'mir_lrs-fixedslit', 'mir_lrs-slitless', 'mir_mrs', 'mir_wfss', 'nis_soss', 'nis_wfss',
        'nrc_tsgrism', 'nrc_wfss', 'nrs_fixedslit', 'nrs_ifu', 'nrs_msaspec', 'nrs_brightobj']) }}
        or {{ x.is_acquisition_type(e) }} then 'cal'
    else 'rate'
end || case when {{ e }}.pntgtype = 'science' and not {{ x.is_acq_or_verify_type(e) }} and (
        {{ e }}.tsovisit = 't' or {{ e }}.exp_type in ('nrc_tsimage', 'nrc_tsgrism', 'nrs_brightobj')
        or {{ e }}.exp_type = 'nis_ami'
        {%- if coron_counts %}
        or {{ x.is_coron_type(e) }}
        {%- endif %}
    ) then 'ints' else '' end)
{%- endmacro %}

{#- The member file suffix for a role: x1d for backgrounds, else the exposure's
    own (computed once per exposure in scope_exposures: l3_suffix, and
    l3_suffix_no_coron for NRCCoronImage). -#}
{% macro suffix(e, role, coron_counts=true) -%}
(case when {{ role }} = 'background' then 'x1d'
      else {{ e }}.{{ 'l3_suffix' if coron_counts else 'l3_suffix_no_coron' }} end)
{%- endmacro %}

{#- The member's file name: the pool's with _uncal replaced by the suffix. -#}
{% macro expname(e, role, coron_counts=true) -%}
{{ x.expname(e, suffix(e, role, coron_counts)) }}
{%- endmacro %}

{#- A nod background's file name (SpectralTarget, spec level3.md §6.5): the
    science member's base name without its last extension and without one
    known suffix (after '_' or '-'), then _x1d.fits. Unknown endings stay. -#}
{% macro nod_background_name(expname) -%}
({{ x.file_root("regexp_replace(" ~ expname ~ ", '^.*/', '')") }} || '_x1d.fits')
{%- endmacro %}

{#- ---- Validity, over one association's summary `g` (sql/engine/level3.sql) ---- -#}

{#- In group, background and mosaic candidates an association must hold members
    (target acquisitions aside) from two observations or more: a test of jwst's
    finalize, so observations_ok is true with --no-finalize. -#}
{% macro spans_observations(g) -%}
({{ g }}.observations_ok)
{%- endmacro %}

{#- ---- Product names, over one association's summary `g`, whose key values
    already carry jwst's re.escape (sql/engine/level3.sql, l3_named) ---- -#}

{#- The name parts every rule shares are computed once per association by
    sql/engine/level3.sql (name_parts); rules' product_name macros use them. -#}
{% macro name_parts(s) -%}
'jw' || {{ x.zero_pad(s ~ '.k_program', 5) }} || '-' || {{ s }}.acid as name_prefix,
't' || case when {{ s }}.has_direct_image then '000'
            else {{ x.zero_pad("coalesce(nullif(" ~ s ~ ".k_target, ''), '')", 3) }} end as target_token,
coalesce('-' || nullif(array_to_string(list_sort(list_filter(
    list_distinct([nullif({{ s }}.k_slit, ''), nullif(array_to_string({{ s }}.slit_tokens, '-'), '')]),
    lambda v: v is not null)), '-'), ''), '') as slit_part,
case when {{ s }}.k_subarray is null or {{ s }}.k_subarray in ('', 'full') then ''
     else '-' || {{ s }}.k_subarray end as subarray_part
{%- endmacro %}

{#- jw<program>-<acid> -#}
{% macro name_prefix(g) -%}
{{ g }}.name_prefix
{%- endmacro %}

{#- t<target>, the target padded to 3 ('t000' when the rule keys none). -#}
{% macro target_token(g) -%}
{{ g }}.target_token
{%- endmacro %}

{#- '-' + the slit tokens: the association's slit and, as one token, the
    s200a1/s200a2 slits of its members; '' when there are none. -#}
{% macro slit_part(g) -%}
{{ g }}.slit_part
{%- endmacro %}

{#- '-' + the subarray, or '' for full frame. -#}
{% macro subarray_part(g) -%}
{{ g }}.subarray_part
{%- endmacro %}

{#- The DEFAULT product name: jw<program>-<acid>_<target>_<instrument>_<opt_elem>[-<slit>][-<subarray>]. -#}
{% macro default_name(g, opt_elems) -%}
{{ name_prefix(g) }} || '_' || {{ target_token(g) }} || '_' || {{ g }}.k_instrume
    || '_' || {{ x.opt_elem(opt_elems) }} || {{ slit_part(g) }} || {{ subarray_part(g) }}
{%- endmacro %}

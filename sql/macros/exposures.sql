{#- Expressions over one exposure row, shared by every rule: what counts as
    set, what kind of exposure it is, and its generic member role. Each macro
    takes a table alias and returns an SQL expression. -#}

{#- Whether a value is set. In scope_exposures jwst's empty values (dms_base._EMPTY)
    already read as NULL, as does a column the pool lacks. -#}
{% macro is_set(column) -%}
({{ column }} is not null)
{%- endmacro %}

{#- Whether a value kept as text (exposerr) is set: not one of jwst's empty values. -#}
{% macro is_set_text(column) -%}
({{ column }} is not null and {{ column }} not in ('', 'null', '--', 'n', 'f', 'false', 'n/a'))
{%- endmacro %}

{%- set acquisitions = ['mir_tacq', 'mir_taconfirm', 'nis_taconfirm', 'nis_tacq', 'nrc_taconfirm',
    'nrc_tacq', 'nrs_confirm', 'nrs_msata', 'nrs_taconfirm', 'nrs_tacq', 'nrs_taslit', 'nrs_wata'] %}

{#- A literal SQL list of author's constants: ('a', 'b'). -#}
{% macro in_list(values) -%}
({% for v in values %}'{{ v }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#- Target acquisition exposure types (dms_base ACQ_EXP_TYPES without nrs_verify). -#}
{% macro is_acquisition_type(x) -%}
({{ x }}.exp_type in {{ in_list(acquisitions) }})
{%- endmacro %}

{#- Acquisition types including nrs_verify (dms_base ACQ_EXP_TYPES). -#}
{% macro is_acq_or_verify_type(x) -%}
({{ x }}.exp_type in {{ in_list(acquisitions + ['nrs_verify']) }})
{%- endmacro %}

{#- jwst's get_exposure_type: the member role an exposure has before any rule overrides it. -#}
{% macro dms_role(x) -%}
case
    when {{ is_set(x ~ '.pntgtype') }} and {{ x }}.pntgtype <> 'science' then {{ x }}.pntgtype
    when {{ is_acquisition_type(x) }} then 'target_acquisition'
    when {{ x }}.exp_type = 'nrs_autoflat' then 'autoflat'
    when {{ x }}.exp_type = 'nrs_autowave' then 'autowave'
    when {{ x }}.exp_type in {{ in_list(['mir_darkall', 'mir_darkimg', 'mir_darkmrs', 'nis_dark',
        'nrc_dark', 'nrs_dark']) }} then 'dark'
    when {{ x }}.exp_type in {{ in_list(['mir_flatimage', 'mir_flatmrs', 'mir_flatimage-ext',
        'mir_flatmrs-ext', 'nrc_flat']) }} then 'flat'
    when {{ x }}.exp_type in {{ in_list(['nis_focus', 'nis_lamp', 'nrc_focus', 'nrc_led', 'nrs_focus',
        'nrs_image', 'nrs_lamp']) }} then 'engineering'
    when {{ is_set(x ~ '.is_psf') }} then 'psf'
    when {{ is_set(x ~ '.is_imprt') }} then 'imprint'
    when {{ is_set(x ~ '.bkgdtarg') }} then 'background'
    else 'science'
end
{%- endmacro %}

{#- Time series: a science pointing in a TSO visit, or an always-TSO exposure type. -#}
{% macro is_tso(x) -%}
({{ x }}.pntgtype = 'science' and ({{ x }}.tsovisit = 't'
    or {{ x }}.exp_type in ('nrc_tsimage', 'nrc_tsgrism', 'nrs_brightobj')))
{%- endmacro %}

{#- The file name with _uncal.<ext> replaced by _<suffix>.<ext>; other names are kept. -#}
{% macro expname(x, suffix) -%}
regexp_replace({{ x }}.filename, '^(.+)_uncal(\..+)$', '\1_' || ({{ suffix }}) || '\2')
{%- endmacro %}

{#- jwst puts product-name tokens through re.escape; real values are untouched. -#}
{% macro escaped(value) -%}
regexp_replace({{ value }}, '([()\[\]{}?*+\-|^$\\.&~# \t\n\r\x0b\x0c])', '\\\1', 'g')
{%- endmacro %}

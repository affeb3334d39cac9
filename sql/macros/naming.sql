{#- DMS names of Stage 3 products (jwst's dms_product_name_* functions and
    rules_level3_base's naming helpers). Every macro returns an expression. -#}
{% import 'macros/exposures.sql' as x %}

{#- Left-pad with zeros to `width`, keeping longer values whole. -#}
{% macro zero_pad(value, width) -%}
(case when length({{ value }}) >= {{ width }} then {{ value }}
      else lpad({{ value }}, {{ width }}, '0') end)
{%- endmacro %}

{#- 'jw' + the program padded to 5 + '-' + the candidate id. -#}
{% macro prefix(program, acid) -%}
('jw' || {{ zero_pad(program, 5) }} || '-' || {{ acid }})
{%- endmacro %}

{#- 't' + the target id padded to 3; 't000' when the rule keys no target. -#}
{% macro target_token(target) -%}
('t' || {{ zero_pad('coalesce(' ~ x.escaped(target) ~ ", '')", 3) }})
{%- endmacro %}

{#- The optical elements: the set values, sorted, joined by '-'; 'clear' when none. -#}
{% macro opt_elem(values) -%}
coalesce(nullif(array_to_string(list_sort(list_filter(
    [{% for v in values %}{{ x.escaped(v) }}{% if not loop.last %}, {% endif %}{% endfor %}],
    lambda v: v is not null)), '-'), ''), 'clear')
{%- endmacro %}

{#- '-' + the slit tokens: the association's slit and, as one token, the s200a1/s200a2
    slits of its members; '' when there are none. -#}
{% macro slit_part(group_slit, member_slits) -%}
coalesce('-' || nullif(array_to_string(list_sort(list_filter(
    list_distinct([{{ x.escaped(group_slit) }},
                   nullif(array_to_string(list_sort(list_distinct({{ member_slits }})), '-'), '')]),
    lambda v: v is not null)), '-'), ''), '')
{%- endmacro %}

{#- '-' + the subarray, or '' for full frame. -#}
{% macro subarray_part(subarray) -%}
(case when {{ subarray }} is null or {{ subarray }} = 'full' then ''
      else '-' || {{ x.escaped(subarray) }} end)
{%- endmacro %}

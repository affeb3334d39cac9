-- Copy one staged pool into `exposures`, normalising every value as jwst does:
-- lower-cased, and an empty cell replaced by 'null' cut to the column's width
-- ($null_tokens, one per pool column). $positions gives, for each of the
-- table's known columns (in the order of the select list below), the pool
-- column that feeds it, or NULL when the pool lacks it; $extra_names and
-- $extra_positions carry the columns asnsql does not know into `extra`.
{#- The select list is the exposures table's own column list, read from the database. #}
insert into exposures (pool_id, row_no, line_no, {{ columns | join(', ') }}, extra)
with staged as (
    select
        line_no,
        list_transform(
            fields,
            lambda value, i: case when value = '' then $null_tokens[i] else lower(value) end
        ) as vals
    from pool_fields
    where pool_index = $pool_index and line_no > $header_line
)
select
    $pool_id,
    (row_number() over (order by line_no) - 1)::integer,
    line_no,
{%- for column in columns %}
    vals[$positions[{{ loop.index }}]],
{%- endfor %}
    map($extra_names::varchar[], list_transform($extra_positions::integer[], lambda p: vals[p]))
from staged;

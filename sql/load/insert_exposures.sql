-- Copy one staged pool into `exposures`, normalising every value as jwst does:
-- lower-cased, and an empty cell replaced by 'null' cut to the column's width
-- ($null_tokens, one per pool column). $positions gives, for each of the
-- table's known columns (in the order of the select list below), the pool
-- column that feeds it, or NULL when the pool lacks it; $extra_names and
-- $extra_positions carry the columns asnsql does not know into `extra`.
{#- The select list is the exposures table's own column list, read from the database. #}
insert into exposures (pool_id, row_no, line_no, {{ columns | join(', ') }}, extra)
-- row numbers come from line numbers alone: a window over the wide rows would
-- sort every field of the pool
with numbered as (
    select line_no, (row_number() over (order by line_no) - 1)::integer as row_no
    from pool_fields
    where pool_index = $pool_index and line_no > $header_line
),
-- every field normalised once, in the pool's column order: one expression for all
-- the columns (one a column costs planning time out of proportion on a small pool)
normalised as (
    select
        line_no,
        list_transform(
            fields, lambda v, p: case when v = '' then $null_tokens[p] else lower(v) end
        ) as v
    from pool_fields
    where pool_index = $pool_index
)
select
    $pool_id,
    n.row_no,
    f.line_no,
{%- for column in columns %}
    f.v[$positions[{{ loop.index }}]],
{%- endfor %}
    map(
        $extra_names::varchar[],
        list_transform($extra_positions::integer[], lambda p: f.v[p])
    )
from normalised as f
join numbered as n using (line_no);

-- Copy staged pools into `exposures`, normalising every value as jwst does:
-- lower-cased, and an empty cell replaced by 'null' cut to the column's width
-- (null_tokens, one per pool column). Per pool (each list parameter holds one
-- value a pool, in the same order: $pool_indexes, $pool_ids, $header_lines,
-- $null_tokens, $positions, $extra_names, $extra_positions): positions gives, for
-- each of the table's known columns (in the order of the select list below), the
-- pool column that feeds it, or NULL when the pool lacks it; extra_names and
-- extra_positions carry the columns asnsql does not know into `extra`.
{#- The select list is the exposures table's own column list, read from the database. #}
insert into exposures (pool_id, row_no, line_no, {{ columns | join(', ') }}, extra)
with batch as (
    select
        unnest($pool_indexes)::integer        as pool_index,
        unnest($pool_ids)::integer            as pool_id,
        unnest($header_lines)::integer        as header_line,
        unnest($null_tokens)::varchar[]       as null_tokens,
        unnest($positions)::integer[]         as positions,
        unnest($extra_names)::varchar[]       as extra_names,
        unnest($extra_positions)::integer[]   as extra_positions
),
-- row numbers come from line numbers alone: a window over the wide rows would
-- sort every field of the pool
numbered as (
    select
        f.pool_index,
        f.line_no,
        (row_number() over (partition by f.pool_index order by f.line_no) - 1)::integer as row_no
    from pool_fields as f
    join batch as b using (pool_index)
    where f.line_no > b.header_line
),
-- every field normalised once, in the pool's column order: one expression for all
-- the columns (one a column costs planning time out of proportion on a small pool)
normalised as (
    select
        f.pool_index,
        f.line_no,
        list_transform(
            f.fields, lambda v, p: case when v = '' then b.null_tokens[p] else lower(v) end
        ) as v
    from pool_fields as f
    join batch as b using (pool_index)
)
select
    b.pool_id,
    n.row_no,
    f.line_no,
{%- for column in columns %}
    f.v[b.positions[{{ loop.index }}]],
{%- endfor %}
    map(b.extra_names, list_transform(b.extra_positions, lambda p: f.v[p]))
from normalised as f
join batch as b using (pool_index)
join numbered as n using (pool_index, line_no);

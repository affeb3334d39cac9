-- The rows of a pool whose file has the given root, whatever its directory,
-- extension and pipeline suffix. Parameters: $pool_id, $name.
{% import 'macros/level2.sql' as l2 -%}
select row_no, filename
from exposures
where pool_id = $pool_id
  and {{ l2.file_root("regexp_replace(filename, '^.*/', '')") }}
    = {{ l2.file_root("regexp_replace($name, '^.*/', '')") }}
order by row_no

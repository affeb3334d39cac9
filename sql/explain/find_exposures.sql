-- The rows of a pool whose file has the given root, whatever its directory,
-- extension and pipeline suffix. Parameters: $pool_id, $name.
{% import 'macros/exposures.sql' as x -%}
select row_no, filename
from exposures
where pool_id = $pool_id
  and {{ x.file_root("regexp_replace(filename, '^.*/', '')") }}
    = {{ x.file_root("regexp_replace($name, '^.*/', '')") }}
order by row_no

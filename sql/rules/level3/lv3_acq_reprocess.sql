-- rule:      Asn_Lv3ACQ_Reprocess
-- asn_type:  none
-- pipeline:  none (makes no association of its own)
-- constraints:
--   - a target acquisition exposure (role target_acquisition)
--   - never founds an association: each acquisition is offered again to every association of its scope
--   - it joins those with the same program and instrument holding a non-acquisition member of its observation (obs_num)
-- members:   none
-- product:   none
-- late_join: never
{% import 'macros/level3.sql' as l3 -%}

{% macro product_name(g) -%}
cast(null as varchar)
{%- endmacro %}

{% macro is_valid(g) -%}
false
{%- endmacro %}

-- jwst registers this rule only to send target acquisitions back to the other
-- rules; its own constraints always fail, so it never makes an association.
-- Its effect, acquisitions joining every association of their observation, is
-- implemented once for all rules in sql/engine/level3.sql (the `acquisitions`
-- set of l3_members). Hence no rows here.
select
    {{ l3.member('e', 'e.dms_role') }}
from scope_exposures as e
where e.dms_role = 'target_acquisition'
  and false

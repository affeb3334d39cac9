-- Run one Level 3 rule and keep the exposures it may use.
insert into l3_eligible by name
select $rule as rule, $asn_type as asn_type, $rule_rank as rule_rank, e.*
from (
{{ rule_sql }}
) as e

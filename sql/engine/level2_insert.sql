-- Run one Level 2 rule and keep the exposures it may use.
insert into l2_eligible by name
select $rule as rule, $asn_type as asn_type, $rule_rank as rule_rank, $shape as shape, e.*
from (
{{ rule_sql }}
) as e

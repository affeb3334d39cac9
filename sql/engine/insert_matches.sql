-- Run one rule and keep its rows. Parameters: $level, $rule, $asn_type, $rule_rank
-- and whatever the rule itself binds.
insert into rule_matches by name
select $level as level, $rule as rule, $asn_type as asn_type, $rule_rank as rule_rank, m.*
from (
{{ rule_sql }}
) as m

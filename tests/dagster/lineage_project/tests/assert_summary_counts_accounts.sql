-- One model read: a check on account_summary.
select * from {{ ref('account_summary') }} where accounts < 1

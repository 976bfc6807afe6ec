-- Two models read and no meta: not a check (as in dagster-dbt).
select e.country from {{ ref('accounts_enriched') }} as e
left join {{ ref('account_summary') }} as s on e.country = s.country
where s.country is null

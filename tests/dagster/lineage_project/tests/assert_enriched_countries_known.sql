-- Two models read, attached by meta to accounts_enriched.
{{ config(meta={'dagster': {'ref': {'name': 'accounts_enriched'}}}) }}
select e.country from {{ ref('accounts_enriched') }} as e
where e.country not in (select country from {{ ref('account_summary') }})

{{ config(alias='summary_by_country') }}
select country, count(*) as accounts from {{ ref('accounts_enriched') }} group by country

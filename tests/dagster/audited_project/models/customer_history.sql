{{ config(materialized='view') }}
select id, name, dbt_valid_from from {{ ref('customers_snapshot') }}

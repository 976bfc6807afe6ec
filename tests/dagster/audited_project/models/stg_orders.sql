{{ config(materialized='ephemeral') }}
select id, customer_id, amount, status from {{ source('raw', 'raw_orders') }}

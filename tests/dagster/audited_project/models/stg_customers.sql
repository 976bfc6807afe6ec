{{ config(materialized='ephemeral') }}
select id, name from {{ source('raw', 'raw_customers') }}

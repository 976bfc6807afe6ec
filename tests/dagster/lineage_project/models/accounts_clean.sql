{{ config(materialized='ephemeral') }}
select * from {{ source('crm', 'accounts') }}

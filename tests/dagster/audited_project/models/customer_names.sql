-- Ephemeral and read by nothing: its test checks what it reads.
{{ config(materialized='ephemeral') }}
select name from {{ ref('customers') }}

{{ config(severity="warn") }}
select * from {{ ref('raw_orders') }} where amount < 0

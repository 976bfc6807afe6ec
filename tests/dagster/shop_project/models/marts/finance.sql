select status, sum(amount) as revenue from {{ ref('stg_orders') }} group by status

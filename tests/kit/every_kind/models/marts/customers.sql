{{ config(materialized='table') }}
select c.customer, sum(o.amount) as total
from {{ ref('eph_customers') }} c join {{ ref('stg_orders') }} o using (customer) group by 1

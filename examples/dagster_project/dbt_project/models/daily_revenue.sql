select ordered_on, count(*) as orders, sum(amount) as revenue
from {{ ref('raw_orders') }}
group by ordered_on

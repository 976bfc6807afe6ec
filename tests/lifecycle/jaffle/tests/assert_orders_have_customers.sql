select orders.order_id
from {{ ref('orders') }} as orders
left join {{ ref('customers') }} as customers on customers.customer_id = orders.customer_id
where customers.customer_id is null

-- Each order's amount is the sum of its payment-method columns.
select order_id
from {{ ref('orders') }}
where abs(amount - ({% for method in var("payment_methods") %}{{ method }}_amount{% if not loop.last %} + {% endif %}{% endfor %})) > 0.001

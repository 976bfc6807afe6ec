select order_id, status
from {{ ref('stg_orders') }}
where status not in ('placed', 'shipped', 'completed', 'return_pending', 'returned')

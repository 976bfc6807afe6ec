select region, count(*) as n from {{ ref('stg_orders') }}
where region in ({% for r in var('regions') %}'{{ r }}'{% if not loop.last %},{% endif %}{% endfor %})
group by 1

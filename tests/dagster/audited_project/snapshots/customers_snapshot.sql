{% snapshot customers_snapshot %}
{{ config(target_schema='main', unique_key='id', strategy='check', check_cols='all') }}
select * from {{ source('raw', 'raw_customers') }}
{% endsnapshot %}

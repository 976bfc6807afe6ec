{% snapshot people_snapshot %}
{{ config(target_schema='main', unique_key='id', strategy='check', check_cols=['name']) }}
select * from {{ ref('people') }}
{% endsnapshot %}

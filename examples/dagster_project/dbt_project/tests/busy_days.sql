-- A day with a single order is worth a look, not a failed run: a warning.
{{ config(severity='warn') }}
select * from {{ ref('daily_revenue') }} where orders < 2

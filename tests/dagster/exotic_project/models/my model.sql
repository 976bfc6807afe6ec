select id from {{ ref('1st') }}

select * from {{ ref('ok_model') }} where id < 0

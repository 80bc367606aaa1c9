from django.urls import path

from registers.parking import api, control_views, permit_views, revenue_views, views

app_name = "parking"
urlpatterns = [
    path("", views.tariff_list, name="tariffs"),
    path("calculator/", views.calculator, name="calculator"),
    path("api/fee", views.api_fee, name="api_fee"),
    path("api/zones", views.api_zones, name="api_zones"),
    path("tariffs/new/", views.tariff_edit, name="tariff_new"),
    path("tariffs/<int:pk>/edit/", views.tariff_edit, name="tariff_edit"),
    path("control/", control_views.control, name="control"),
    path("control/api/check", control_views.api_check, name="control_check"),
    path("control/api/notices", control_views.api_notice, name="control_notice"),
    path("revenue/", revenue_views.revenue, name="revenue"),
    path("revenue/data.json", revenue_views.revenue_data, name="revenue_data"),
    path("notices/", control_views.notice_list, name="notices"),
    path("notices/<int:pk>/<slug:action>", control_views.notice_action, name="notice_action"),
    path("notices/photo/<int:pk>", control_views.notice_photo, name="notice_photo"),
    path("permits/", permit_views.permit_list, name="permits"),
    path("permits/<int:pk>/<slug:action>", permit_views.permit_action, name="permit_action"),
    path("api/operator/v1/openapi.json", api.openapi, name="op_openapi"),
    path("api/operator/v1/sessions", api.session_start, name="op_start"),
    path("api/operator/v1/sessions/<str:session_id>", api.session_detail, name="op_session"),
    path("api/operator/v1/sessions/<str:session_id>/extend", api.session_extend,
         name="op_extend"),
    path("api/operator/v1/sessions/<str:session_id>/stop", api.session_stop, name="op_stop"),
]

from django.urls import path

from registers.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:municipality_id>/", views.town, name="town"),
    path("<int:municipality_id>/import/", views.statement_import, name="import"),
    path("<int:municipality_id>/queue/", views.queue, name="queue"),
    path("<int:municipality_id>/queue/resolve/", views.resolve, name="resolve"),
    path("<int:municipality_id>/debtors/", views.debtors, name="debtors"),
    path("<int:municipality_id>/reminders/", views.reminders, name="reminders"),
    path("<int:municipality_id>/reminders/issue/", views.reminders_issue,
         name="reminders_issue"),
    path("<int:municipality_id>/reminders/delivered/", views.reminder_delivered,
         name="reminder_delivered"),
    path("<int:municipality_id>/reminders/print/", views.reminders_print,
         name="reminders_print"),
    path("<int:municipality_id>/enforcement/", views.enforcement, name="enforcement"),
    path("<int:municipality_id>/bank/", views.bank, name="bank"),
    path("<int:municipality_id>/accounts/", views.accounts_give, name="accounts"),
    path("taxpayer/<int:taxpayer_id>/", views.statement, name="statement"),
]

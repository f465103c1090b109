from django.urls import path

from scheda.savedviews import views

urlpatterns = [
    path("<str:object_name>/", views.record_index, name="record_index"),
    path("<str:object_name>/views/", views.create_view, name="create_view"),
    path("<str:object_name>/views/<int:view_id>/", views.update_view, name="update_view"),
    path("<str:object_name>/views/<int:view_id>/delete/", views.delete_view, name="delete_view"),
    path("<str:object_name>/board/column/", views.board_column, name="board_column"),
    path("<str:object_name>/board/move/", views.board_move, name="board_move"),
]

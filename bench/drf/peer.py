"""The Django REST framework peer for bench/run: drf-hal-json over Halyard's own tables.

One file is the whole Django project (settings, models, serializers, routes), so the
benchmark needs no generated project. The models are unmanaged and name Halyard's
tables and columns, so the peer serves exactly the rows Halyard serves, from a copy of
the same SQLite file. Served by gunicorn: `gunicorn peer:application`.
"""

import os

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmark-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        # This module is its own app, so Django registers the models' relations.
        "peer",
    ],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["PEER_DB"],
            # The same busy wait Halyard gives its SQLite connections.
            "OPTIONS": {"timeout": 5},
        }
    },
    # No session, CSRF or auth middleware: Halyard's catalogue has none either.
    MIDDLEWARE=[],
    USE_TZ=True,
    REST_FRAMEWORK={
        "DEFAULT_RENDERER_CLASSES": ["drf_hal_json.renderers.JsonHalRenderer"],
        "DEFAULT_PARSER_CLASSES": [
            "drf_hal_json.parsers.JsonHalParser",
            "rest_framework.parsers.JSONParser",
        ],
        "DEFAULT_PAGINATION_CLASS": "drf_hal_json.pagination.HalPageNumberPagination",
        "PAGE_SIZE": 25,
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
    },
)
django.setup()

from django.db import models  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from drf_hal_json.serializers import HalModelSerializer  # noqa: E402
from rest_framework import routers, viewsets  # noqa: E402


class Author(models.Model):
    name = models.TextField()

    class Meta:
        app_label = "peer"
        managed = False
        db_table = "authors"


class Book(models.Model):
    title = models.TextField()
    price_cents = models.BigIntegerField(default=0)
    authors = models.ManyToManyField(Author, through="BookAuthor", related_name="books")

    class Meta:
        app_label = "peer"
        managed = False
        db_table = "books"


class BookAuthor(models.Model):
    book = models.ForeignKey(Book, models.CASCADE, db_column="book_id")
    author = models.ForeignKey(Author, models.CASCADE, db_column="author_id")
    royalties = models.TextField(null=True, blank=True)

    class Meta:
        app_label = "peer"
        managed = False
        db_table = "books_authors"
        ordering = ["id"]


class BookSerializer(HalModelSerializer):
    class Meta:
        model = Book
        fields = ["url", "id", "title", "price_cents", "authors"]
        read_only_fields = ["authors"]


class AuthorSerializer(HalModelSerializer):
    class Meta:
        model = Author
        fields = ["url", "id", "name"]


class BookAuthorSerializer(HalModelSerializer):
    class Meta:
        model = BookAuthor
        fields = ["url", "id", "book", "author", "royalties"]


class BookViewSet(viewsets.ModelViewSet):
    # One query for every page's author links, as Halyard does.
    queryset = Book.objects.order_by("id").prefetch_related("authors")
    serializer_class = BookSerializer


class AuthorViewSet(viewsets.ModelViewSet):
    queryset = Author.objects.order_by("id")
    serializer_class = AuthorSerializer


class BookAuthorViewSet(viewsets.ModelViewSet):
    queryset = BookAuthor.objects.order_by("id")
    serializer_class = BookAuthorSerializer


router = routers.DefaultRouter()
router.register("books", BookViewSet, basename="book")
router.register("authors", AuthorViewSet, basename="author")
router.register("books-authors", BookAuthorViewSet, basename="bookauthor")
urlpatterns = [path("", include(router.urls))]

application = get_wsgi_application()

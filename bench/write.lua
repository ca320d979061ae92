-- wrk script for the write scenarios of bench/run: every request links a random pair,
-- so nearly every one creates a new relation (the sample fills a tiny share of the
-- possible pairs). BENCH_KIND says whose request to send.
local books = tonumber(os.getenv("BENCH_BOOKS") or "1000")
local authors = tonumber(os.getenv("BENCH_AUTHORS") or "500")
local kind = os.getenv("BENCH_KIND") or "put"
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + id)
end

function request()
  -- Author 1 holds the hot relations; the others are free for most books.
  local b = math.random(1, books)
  local a = math.random(2, authors)
  local json = { ["Content-Type"] = "application/json" }
  if kind == "put" then
    return wrk.format("PUT", "/books/" .. b .. "/authors/" .. a)
  elseif kind == "post" then
    return wrk.format("POST", "/books-authors", json,
      '{"book": "/books/' .. b .. '", "author": "/authors/' .. a .. '"}')
  elseif kind == "json-server" then
    return wrk.format("POST", "/books_authors", json,
      '{"bookId": ' .. b .. ', "authorId": ' .. a .. ', "royalties": null}')
  else -- drf
    -- drf-hal-json takes related resources as hyperlinks under _links.
    return wrk.format("POST", "/books-authors/", { ["Content-Type"] = "application/hal+json" },
      '{"_links": {"book": "http://127.0.0.1/books/' .. b .. '/", "author": "http://127.0.0.1/authors/' .. a .. '/"}}')
  end
end

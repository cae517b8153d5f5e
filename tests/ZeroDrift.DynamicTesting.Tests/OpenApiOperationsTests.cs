namespace ZeroDrift.DynamicTesting.Tests;

/// <summary>OpenAPI operations become requests filled from the document's own examples.</summary>
public sealed class OpenApiOperationsTests
{
    private const string Document = """
        openapi: 3.0.3
        info: { title: shop, version: "1" }
        paths:
          /items/{id}:
            parameters:
              - name: id
                in: path
                required: true
                schema: { type: integer, example: 42 }
            get:
              operationId: getItem
              parameters:
                - name: fields
                  in: query
                  example: name,price
                - name: debug
                  in: query
                  schema: { type: boolean }
            delete:
              operationId: deleteItem
          /items:
            post:
              operationId: addItem
              requestBody:
                content:
                  application/json:
                    schema: { $ref: '#/components/schemas/Item' }
          /search:
            get:
              parameters:
                - $ref: '#/components/parameters/Q'
        components:
          parameters:
            Q:
              name: q
              in: query
              required: true
              examples:
                first: { value: blue shoes }
          schemas:
            Item:
              type: object
              example: { name: shoe, price: 9.5, tags: [a, b] }
        """;

    [Fact]
    public void Each_operation_is_a_request_with_the_documents_examples()
    {
        var calls = OpenApiOperations.Parse(Document);
        Assert.Equal(
        [
            new OpenApiCall("GET", "/items/42?fields=name%2Cprice", null, "getItem"),
            new OpenApiCall("DELETE", "/items/42", null, "deleteItem"),
            new OpenApiCall("POST", "/items", """{"name":"shoe","price":9.5,"tags":["a","b"]}""", "addItem"),
            new OpenApiCall("GET", "/search?q=blue%20shoes", null, "GET /search"),
        ], calls);
    }

    [Fact]
    public void A_json_document_reads_the_same()
    {
        var calls = OpenApiOperations.Parse("""{"openapi":"3.1.0","paths":{"/health":{"get":{"operationId":"health"}}}}""");
        Assert.Equal([new OpenApiCall("GET", "/health", null, "health")], calls);
    }

    [Theory]
    [InlineData("- just\n- a list\n")]
    [InlineData("openapi: 3.0.0\ninfo: {}\n")]
    [InlineData("{ not: [valid")]
    public void A_file_that_is_not_an_OpenAPI_document_is_one_clear_error(string text)
    {
        using var dir = new TempDir();
        var file = dir.File("api.yaml", text);
        var e = Assert.Throws<DynamicTestException>(() => OpenApiOperations.Load(file));
        Assert.StartsWith($"--openapi {file}: not an OpenAPI document (", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}

#!/usr/bin/env node
// An agent's run traced as the OpenTelemetry JS SDK traces it, with the
// GenAI semantic conventions: an invoke_agent root span, two chat spans
// whose messages are JSON in gen_ai.input.messages and
// gen_ai.output.messages, and the execute_tool span of the tool call the
// first asks for.  The spans go through the SDK's OTLP JSON serializer,
// the bytes the OTLP/HTTP exporter would send, to standard output.
// Times are fixed, so that the order of the spans is the test's own.
'use strict';

const { SpanStatusCode, SpanKind, trace, context } = require('@opentelemetry/api');
const {
	BasicTracerProvider,
	InMemorySpanExporter,
	SimpleSpanProcessor,
} = require('@opentelemetry/sdk-trace-base');
const { JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');

const failed = process.argv.includes('--fail');
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('weather-bot', '1.0.0');
const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const at = (ms) => t0 + ms;

const system = [{ type: 'text', content: 'You answer questions about the weather.' }];
const user = { role: 'user', parts: [{ type: 'text', content: 'How warm is it in Oslo?' }] };
const asks = {
	role: 'assistant',
	parts: [{ type: 'tool_call', id: 'call_1', name: 'get_weather', arguments: { city: 'Oslo' } }],
	finish_reason: 'tool_call',
};
const answer = { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: '3 C, cloudy' }] };
const reply = {
	role: 'assistant',
	parts: [{ type: 'text', content: 'It is 3 C and cloudy in Oslo.' }],
	finish_reason: 'stop',
};

const root = tracer.startSpan(
	'invoke_agent weather-bot',
	{
		kind: SpanKind.INTERNAL,
		startTime: at(0),
		attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'weather-bot' },
	},
	context.active()
);
const inRoot = trace.setSpan(context.active(), root);

function chat(start, end, input, output) {
	const span = tracer.startSpan(
		'chat gpt-4o',
		{
			kind: SpanKind.CLIENT,
			startTime: at(start),
			attributes: {
				'gen_ai.operation.name': 'chat',
				'gen_ai.provider.name': 'openai',
				'gen_ai.request.model': 'gpt-4o',
				'gen_ai.system_instructions': JSON.stringify(system),
				'gen_ai.input.messages': JSON.stringify(input),
				'gen_ai.output.messages': JSON.stringify(output),
			},
		},
		inRoot
	);
	span.setAttribute('gen_ai.usage.input_tokens', 40 + start);
	span.end(at(end));
}

chat(10, 20, [user], [asks]);
const tool = tracer.startSpan(
	'execute_tool get_weather',
	{
		kind: SpanKind.INTERNAL,
		startTime: at(30),
		attributes: {
			'gen_ai.operation.name': 'execute_tool',
			'gen_ai.tool.name': 'get_weather',
			'gen_ai.tool.call.id': 'call_1',
			'gen_ai.tool.call.result': '3 C, cloudy',
		},
	},
	inRoot
);
tool.end(at(40));
chat(50, 60, [user, asks, answer], [reply]);
if (failed) {
	root.setAttribute('error.type', 'guardrail');
	root.setStatus({ code: SpanStatusCode.ERROR, message: 'answer blocked by the guardrail' });
}
root.end(at(70));

process.stdout.write(Buffer.from(JsonTraceSerializer.serializeRequest(exporter.getFinishedSpans())));
process.stdout.write('\n');

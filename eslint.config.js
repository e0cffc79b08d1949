import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.edgefleet/**', 'bench/results/**', '.nx/**', 'console/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-expect-error': 'allow-with-description' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The agent must never depend on the control plane, nor the protocol on either.
    files: ['agent/**/*.ts', 'protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@edgefleet/control-plane', '@edgefleet/control-plane/*', '../control-plane/*', '../../control-plane/*'], message: 'The agent and protocol must not depend on the control plane.' }] }],
    },
  },
  {
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@edgefleet/agent', '@edgefleet/control-plane'], message: 'protocol is the shared contract; it depends on nothing of ours.' }] }],
    },
  },
);

import { useState, type FormEvent } from 'react';
import { Alert, Button, Card, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { ApiClient, ApiError } from '../api/client';
import { saveSession, type Session } from './session';

/** Sign in with a user name and password (`POST /api/v1/auth/login`). */
export function SignIn({ onSignedIn, client = new ApiClient(null) }: { onSignedIn: (s: Session) => void; client?: ApiClient }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(saveSession(await client.login(username, password)));
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong user name or password.' : `Cannot sign in: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder shadow="sm" maw={380} mx="auto" mt="15vh" p="xl">
      <form onSubmit={(e) => void submit(e)}>
        <Stack>
          <Title order={2}>EdgeFleet</Title>
          <TextInput label="User name" value={username} onChange={(e) => setUsername(e.currentTarget.value)} required autoComplete="username" />
          <PasswordInput label="Password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required autoComplete="current-password" />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

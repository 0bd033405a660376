package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// forwarder makes reservations on other processes of the cluster through
// their rooms API, with the API key every process shares.
type forwarder struct {
	apiKey string
	client *http.Client
}

func newForwarder(apiKey string, timeout time.Duration) forwarder {
	return forwarder{
		apiKey: apiKey,
		client: &http.Client{
			Timeout:   timeout,
			Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: time.Minute},
		},
	}
}

func (f forwarder) close() { f.client.CloseIdleConnections() }

// createRoom opens spec on the process at base; a room that already exists
// (another matchmaker created it first) is fine.
func (f forwarder) createRoom(ctx context.Context, base string, spec RoomSpec) error {
	err := f.post(ctx, base+"/api/rooms", spec, nil)
	if errors.Is(err, ErrRoomExists) {
		return nil
	}
	return err
}

// reserve holds a seat in room on the process at base.
func (f forwarder) reserve(ctx context.Context, base, room, player string) (Reservation, error) {
	var res Reservation
	err := f.post(ctx, base+"/api/rooms/"+url.PathEscape(room)+"/reservations", reservationRequest{Player: player}, &res)
	return res, err
}

// post sends body as JSON and decodes a 2xx answer into out; an API error
// comes back as the sentinel that the owner answered with.
func (f forwarder) post(ctx context.Context, u string, body, out any) error {
	if f.apiKey == "" {
		return errors.New("no API key to call another process with (-api-key)")
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.apiKey)
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRequestBody))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 == 2 {
		if out == nil {
			return nil
		}
		return json.Unmarshal(data, out)
	}
	var ae apiError
	json.Unmarshal(data, &ae)
	switch {
	case ae.Code == "room_full":
		return fmt.Errorf("%w (at %s)", ErrRoomFull, u)
	case ae.Code == "conflict":
		return fmt.Errorf("%w (at %s)", ErrRoomExists, u)
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w (at %s)", ErrRoomNotFound, u)
	case ae.Code == "bad_request":
		return &RequestError{Field: ae.Field, Msg: ae.Error}
	}
	return fmt.Errorf("%s answered %d: %s", u, resp.StatusCode, ae.Error)
}
